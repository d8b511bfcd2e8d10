/** The Host policy of `peer-connect serve` as a pure function (host-policy.ts); on a real server in serve-guard.test.ts. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHostCheck, isLoopbackHost, parseHost, refusedHostText } from '../../signal-worker/adapter/node/host-policy.ts';

describe('parseHost', () => {
  it('splits off the port and tells IP literals from names', () => {
    assert.deepEqual(parseHost('127.0.0.1'), { kind: 'ip', address: '127.0.0.1' });
    assert.deepEqual(parseHost('10.0.0.1:8080'), { kind: 'ip', address: '10.0.0.1' });
    assert.deepEqual(parseHost('[::1]:80'), { kind: 'ip', address: '::1' });
    assert.deepEqual(parseHost('[::ffff:127.0.0.1]'), { kind: 'ip', address: '::ffff:127.0.0.1' });
    assert.deepEqual(parseHost('Example.COM:8080'), { kind: 'name', name: 'example.com' });
    assert.deepEqual(parseHost('example.com.'), { kind: 'name', name: 'example.com' }, 'fully qualified');
    assert.deepEqual(parseHost('example.com:'), { kind: 'name', name: 'example.com' }, 'RFC 3986 allows an empty port');
    assert.deepEqual(parseHost('xn--bcher-kva.example'), { kind: 'name', name: 'xn--bcher-kva.example' });
    assert.deepEqual(parseHost('127.1'), { kind: 'name', name: '127.1' }, 'not an RFC 3986 IPv4address');
  });

  it('returns null for what is no host', () => {
    for (const value of [
      '',
      '::1',
      '[::1',
      '[v1.x]',
      '[example.com]',
      'example.com:80:80',
      'example.com:http',
      'exa mple.com',
      'a..b',
      '.',
      'user@example.com',
      'example.com/x',
      'bücher.example',
      `${'a'.repeat(254)}`,
    ]) {
      assert.equal(parseHost(value), null, JSON.stringify(value));
    }
  });
});

describe('createHostCheck', () => {
  it('by default answers IP literals, localhost and *.localhost, and nothing else', () => {
    const allowed = createHostCheck([]);
    for (const host of [
      '127.0.0.1:8080',
      '192.168.1.20',
      '[::1]:8080',
      '[fe80::1]',
      'localhost',
      'LOCALHOST:3000',
      'localhost.',
      'app.localhost',
      'a.b.localhost:1',
    ]) {
      assert.equal(allowed(host), true, host);
    }
    for (const host of [
      undefined,
      '',
      'example.com',
      'localhost.example.com',
      'evillocalhost',
      '127.0.0.1.nip.io',
      'user@localhost',
      '[v1.x]',
    ]) {
      assert.equal(allowed(host), false, String(host));
    }
  });

  it('answers the listed names whatever their case and port, Unicode names as punycode', () => {
    const allowed = createHostCheck(['Example.com:443', 'bücher.example', '10.0.0.1']);
    for (const host of ['example.com', 'EXAMPLE.COM:8080', 'example.com.', 'xn--bcher-kva.example', 'localhost', '10.9.9.9'])
      assert.equal(allowed(host), true, host);
    for (const host of ['www.example.com', 'example.co', 'example.com.evil.example']) assert.equal(allowed(host), false, host);
  });

  it("turns the check off with '*', alone or in the list", () => {
    assert.equal(createHostCheck('*')('anything.example'), true);
    assert.equal(createHostCheck('*')(undefined), true);
    assert.equal(createHostCheck(['a.example', '*'])('b.example'), true);
  });

  it('throws on an entry that is not a host name', () => {
    for (const entry of ['', 'http://example.com/', '*.example.com', 'exa mple.com', 'example.com/path']) {
      assert.throws(() => createHostCheck([entry]), /not a host name/, JSON.stringify(entry));
    }
  });
});

describe('refusedHostText', () => {
  it('names the refused host and the flag that would serve it', () => {
    const text = refusedHostText('Evil.Example:80');
    assert.match(text, /^421 Misdirected Request/);
    assert.match(text, /"evil\.example"/);
    assert.match(text, /--allowed-host evil\.example /);
    assert.match(text, /--allowed-host '\*'/);
  });

  it('echoes nothing that is not a parsed name', () => {
    assert.match(refusedHostText(undefined), /without a usable Host header.*--allowed-host <name>/);
    assert.doesNotMatch(refusedHostText('<script>alert(1)</script>'), /script/);
  });
});

describe('isLoopbackHost', () => {
  it('is true only for addresses that take connections from this machine alone', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LocalHost']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '::', '192.168.1.2', 'example.com', '128.0.0.1']) assert.equal(isLoopbackHost(host), false, host);
  });
});
