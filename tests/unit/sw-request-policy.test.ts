/**
 * Which requests the worker answers (sw/request-policy.ts): only GET requests for manifest assets
 * from pages of its own build, with no demand for a fresh copy, no credentials of their own and no
 * validator only the origin can evaluate, for files the origin has not been seen to change.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide, type RequestFacts } from '../../sw/request-policy.ts';

const BUILD = '0123456789abcdef0123';

function facts(over: Partial<RequestFacts> & { headerList?: Record<string, string> } = {}): RequestFacts {
  const { headerList, ...rest } = over;
  return {
    method: 'GET',
    mode: 'no-cors',
    cache: 'default',
    headers: new Headers(headerList ?? {}),
    isAsset: true,
    assetChanged: false,
    pageBuild: BUILD,
    workerBuild: BUILD,
    ...rest,
  };
}

const reason = (f: RequestFacts): string => {
  const v = decide(f);
  return v.serve ? 'serve' : v.reason;
};

describe('request policy', () => {
  it('serves a plain asset request from a page of its own build', () => {
    assert.equal(reason(facts()), 'serve');
    assert.equal(reason(facts({ cache: 'force-cache' })), 'serve');
    assert.equal(reason(facts({ headerList: { Range: 'bytes=0-99' } })), 'serve');
  });

  it('leaves non-GET, navigations and non-assets alone', () => {
    assert.equal(reason(facts({ method: 'POST' })), 'not-get');
    assert.equal(reason(facts({ method: 'HEAD' })), 'not-get');
    assert.equal(reason(facts({ mode: 'navigate' })), 'navigation');
    assert.equal(reason(facts({ isAsset: false })), 'not-an-asset');
  });

  it('passes every way a page demands a fresh copy', () => {
    for (const cache of ['reload', 'no-store', 'no-cache'] as RequestCache[]) assert.equal(reason(facts({ cache })), 'fresh-copy', cache);
    for (const cc of ['no-cache', 'no-store', 'max-age=0', 'max-age = 0', 'private, no-cache', 'No-Cache']) {
      assert.equal(reason(facts({ headerList: { 'Cache-Control': cc } })), 'fresh-copy', cc);
    }
    assert.equal(reason(facts({ headerList: { Pragma: 'no-cache' } })), 'fresh-copy');
    assert.equal(reason(facts({ headerList: { 'Cache-Control': 'max-age=60' } })), 'serve');
    assert.equal(reason(facts({ headerList: { 'Cache-Control': 'max-age=0123' } })), 'serve', 'not max-age=0');
  });

  it('passes requests with credentials or validators only the origin can judge', () => {
    assert.equal(reason(facts({ headerList: { Authorization: 'Basic dTpw' } })), 'authorization');
    assert.equal(reason(facts({ headerList: { Range: 'bytes=100-199', 'If-Range': '"stale"' } })), 'conditional');
    assert.equal(reason(facts({ headerList: { 'If-Match': '"x"' } })), 'conditional');
    assert.equal(reason(facts({ headerList: { 'If-Unmodified-Since': 'Tue, 01 Jan 2030 00:00:00 GMT' } })), 'conditional');
  });

  it('passes files the origin was seen to change', () => {
    assert.equal(reason(facts({ assetChanged: true })), 'asset-changed');
  });

  it('passes pages of another build, pages that did not say, and pages it does not know', () => {
    assert.equal(reason(facts({ pageBuild: 'fedcba9876543210fedc' })), 'other-build');
    assert.equal(reason(facts({ pageBuild: null })), 'other-build');
    assert.equal(reason(facts({ pageBuild: undefined })), 'unknown-page');
  });
});
