/**
 * The Cloudflare Worker's config decoder (`readConfig`). Whatever the Worker would answer 500 to
 * must be refused here, with a message naming the field: `peer-connect deploy` runs this same
 * decoder before upload, so a config it passes is one the Worker runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readConfig } from '../../signal-worker/adapter/cloudflare/config.ts';
import { DEFAULT_SIGNAL_LIMITS } from '../../signal-worker/core/signal/signal-limits.ts';
import { DEFAULT_TRACKER_LIMITS } from '../../signal-worker/core/tracker/tracker-limits.ts';

const read = (config: unknown) => readConfig({ PEER_CONNECT_SIGNAL_CONFIG: config });

describe('readConfig', () => {
  it('takes the var as an object (wrangler.jsonc vars) or as a JSON string (--var, dashboard)', () => {
    const config = { allowedOrigins: ['https://site.example'], limits: { idleTimeoutMs: 60_000 } };
    assert.deepEqual(read(config), { ...config, trackerLimits: {}, healthSwarms: [] });
    assert.deepEqual(read(JSON.stringify(config)), { ...config, trackerLimits: {}, healthSwarms: [] });
  });

  it('defaults to any origin, the protocol limits and no per-swarm health when the var is missing or empty', () => {
    const open = { allowedOrigins: '*', limits: {}, trackerLimits: {}, healthSwarms: [] };
    assert.deepEqual(readConfig({}), open);
    assert.deepEqual(read(''), open);
  });

  it('names the var when its string is not JSON', () => {
    assert.throws(() => read('{allowedOrigins: *}'), /PEER_CONNECT_SIGNAL_CONFIG is not JSON/);
  });

  it('refuses a raised limit, as the hubs would on the first request', () => {
    const signal = DEFAULT_SIGNAL_LIMITS.maxPeersPerSwarm + 1;
    assert.throws(() => read({ limits: { maxPeersPerSwarm: signal } }), /PEER_CONNECT_SIGNAL_CONFIG\.limits: .*maxPeersPerSwarm may be lowered, not raised/);
    const tracker = DEFAULT_TRACKER_LIMITS.maxPeersPerSwarm + 1;
    assert.throws(() => read({ trackerLimits: { maxPeersPerSwarm: tracker } }), /PEER_CONNECT_SIGNAL_CONFIG\.trackerLimits: .*maxPeersPerSwarm may be lowered/);
    assert.throws(() => read({ limits: { idleTimeoutMs: 0 } }), /PEER_CONNECT_SIGNAL_CONFIG\.limits: .*idleTimeoutMs must be a positive number/);
  });

  it('refuses an origin the origin check could not read, naming it', () => {
    assert.throws(() => read({ allowedOrigins: ['site.example'] }), /PEER_CONNECT_SIGNAL_CONFIG\.allowedOrigins: "site\.example" is not an origin/);
    assert.throws(() => read({ allowedOrigins: 'https://site.example' }), /allowedOrigins must be '\*' or a list of origins/);
  });

  it('takes healthSwarms as a list of swarm ids, and names an entry that is not one', () => {
    assert.deepEqual(read({ healthSwarms: ['site.example', 'blog:2'] }).healthSwarms, ['site.example', 'blog:2']);
    assert.throws(() => read({ healthSwarms: 'site.example' }), /PEER_CONNECT_SIGNAL_CONFIG\.healthSwarms must be a list of swarm ids/);
    assert.throws(() => read({ healthSwarms: ['ok', 'not ok'] }), /PEER_CONNECT_SIGNAL_CONFIG\.healthSwarms: "not ok" is not a swarm id/);
    assert.throws(() => read({ healthSwarms: ['*'] }), /healthSwarms: "\*" is not a swarm id/);
    assert.throws(() => read({ healthSwarms: [7] }), /healthSwarms: 7 is not a swarm id/);
  });

  it('refuses unknown limits and non-numbers, as before', () => {
    assert.throws(() => read({ limits: { maxPeers: 5 } }), /limits\.maxPeers is not a known limit/);
    assert.throws(() => read({ trackerLimits: { maxPeersPerSwarm: '5' } }), /trackerLimits\.maxPeersPerSwarm must be a number/);
    assert.throws(() => read([]), /must be a JSON object/);
  });
});
