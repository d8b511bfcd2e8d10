/**
 * The signaling server's config decoder, one for every runtime (`decodeSignalConfig`). Whatever
 * a server would refuse later must be refused here, with a code and a message naming the field:
 * the standalone entries stop start-up on it, the Worker answers 500 with it, and
 * `peer-connect deploy` runs it before upload, so a config it passes is one the Worker runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ConfigErrorCode,
  decodeSignalConfig,
  readSignalConfig,
  type SignalConfig,
  SignalConfigError,
} from '../../signal-worker/adapter/signal-config.ts';
import { readStandaloneOptions } from '../../signal-worker/adapter/standalone.ts';
import { DEFAULT_SIGNAL_LIMITS } from '../../signal-worker/core/signal/signal-limits.ts';
import { DEFAULT_TRACKER_LIMITS } from '../../signal-worker/core/tracker/tracker-limits.ts';

const read = (config: unknown): SignalConfig => readSignalConfig(config);

/** The refusal of `config`: its code, and its message matched against `message`. */
function assertRefused(config: unknown, code: ConfigErrorCode, message: RegExp): void {
  const decoded = decodeSignalConfig(config);
  assert.equal(decoded.ok, false, `${JSON.stringify(config)} was accepted`);
  if (decoded.ok) return;
  assert.equal(decoded.code, code, decoded.error);
  assert.match(decoded.error, message);
}

describe('decodeSignalConfig', () => {
  it('takes the var as an object (wrangler.jsonc vars) or as a JSON string (an env variable, --var, dashboard)', () => {
    const config = { allowedOrigins: ['https://site.example'], limits: { idleTimeoutMs: 60_000 } };
    assert.deepEqual(read(config), { ...config, trackerLimits: {}, healthSwarms: [], trustProxy: 'none', p2p: {} });
    assert.deepEqual(read(JSON.stringify(config)), { ...config, trackerLimits: {}, healthSwarms: [], trustProxy: 'none', p2p: {} });
  });

  it('defaults to any origin, the protocol limits and no per-swarm health when the var is missing or empty', () => {
    const open = { allowedOrigins: '*', limits: {}, trackerLimits: {}, healthSwarms: [], trustProxy: 'none', p2p: {} };
    assert.deepEqual(read(undefined), open);
    assert.deepEqual(read(''), open);
  });

  it('names the var when its string is not JSON', () => {
    assertRefused('{allowedOrigins: *}', 'not-json', /PEER_CONNECT_SIGNAL_CONFIG is not JSON/);
  });

  it('refuses a raised limit, as the hubs would on the first request', () => {
    const signal = DEFAULT_SIGNAL_LIMITS.maxPeersPerSwarm + 1;
    assertRefused(
      { limits: { maxPeersPerSwarm: signal } },
      'limit-raised',
      /PEER_CONNECT_SIGNAL_CONFIG\.limits: .*maxPeersPerSwarm may be lowered, not raised/,
    );
    const tracker = DEFAULT_TRACKER_LIMITS.maxPeersPerSwarm + 1;
    assertRefused(
      { trackerLimits: { maxPeersPerSwarm: tracker } },
      'limit-raised',
      /PEER_CONNECT_SIGNAL_CONFIG\.trackerLimits: .*maxPeersPerSwarm may be lowered/,
    );
    assertRefused(
      { limits: { idleTimeoutMs: 0 } },
      'limit-not-positive',
      /PEER_CONNECT_SIGNAL_CONFIG\.limits: .*idleTimeoutMs must be a positive number/,
    );
  });

  it('refuses an origin the origin check could not read, naming it', () => {
    assertRefused(
      { allowedOrigins: ['site.example'] },
      'bad-origin',
      /PEER_CONNECT_SIGNAL_CONFIG\.allowedOrigins: "site\.example" is not an origin/,
    );
    assertRefused({ allowedOrigins: 'https://site.example' }, 'bad-origin', /allowedOrigins must be '\*' or a list of origins/);
  });

  it('takes healthSwarms as a list of swarm ids, and names an entry that is not one', () => {
    assert.deepEqual(read({ healthSwarms: ['site.example', 'blog:2'] }).healthSwarms, ['site.example', 'blog:2']);
    assertRefused({ healthSwarms: 'site.example' }, 'bad-swarm-id', /PEER_CONNECT_SIGNAL_CONFIG\.healthSwarms must be a list of swarm ids/);
    assertRefused(
      { healthSwarms: ['ok', 'not ok'] },
      'bad-swarm-id',
      /PEER_CONNECT_SIGNAL_CONFIG\.healthSwarms: "not ok" is not a swarm id/,
    );
    assertRefused({ healthSwarms: ['*'] }, 'bad-swarm-id', /healthSwarms: "\*" is not a swarm id/);
    assertRefused({ healthSwarms: [7] }, 'bad-swarm-id', /healthSwarms: 7 is not a swarm id/);
  });

  it('reads which proxy header names the client only when told, and refuses any other value', () => {
    assert.equal(read({}).trustProxy, 'none');
    assert.equal(read({ trustProxy: 'x-forwarded-for' }).trustProxy, 'x-forwarded-for');
    assert.equal(read({ trustProxy: 'cf-connecting-ip' }).trustProxy, 'cf-connecting-ip');
    assertRefused(
      { trustProxy: 'X-Real-IP' },
      'bad-trust-proxy',
      /trustProxy must be one of "none", "x-forwarded-for", "cf-connecting-ip"/,
    );
    assertRefused({ trustProxy: true }, 'bad-trust-proxy', /trustProxy must be one of/);
  });

  it('refuses unknown limits and non-numbers, as before', () => {
    assertRefused({ limits: { maxPeerz: 5 } }, 'unknown-key', /limits\.maxPeerz is not a known limit/);
    assertRefused({ trackerLimits: { maxPeersPerSwarm: '5' } }, 'not-a-number', /trackerLimits\.maxPeersPerSwarm must be a number/);
    assertRefused({ limits: [] }, 'not-an-object', /PEER_CONNECT_SIGNAL_CONFIG\.limits must be an object/);
    assertRefused([], 'not-an-object', /must be a JSON object/);
  });

  it('refuses an unknown key, so a misspelt allowedOrigins never leaves a server open to every origin', () => {
    assertRefused(
      { allowedOrigin: ['https://site.example'] },
      'unknown-key',
      /PEER_CONNECT_SIGNAL_CONFIG\.allowedOrigin is not a known setting \(limits, trackerLimits, allowedOrigins, healthSwarms, trustProxy, p2p\)/,
    );
    assertRefused(JSON.stringify({ allowedOrigins: '*', limit: {} }), 'unknown-key', /\.limit is not a known setting/);
  });

  it('throws the refusal as one error type with its code where start-up must stop', () => {
    assert.throws(
      () => readSignalConfig({ allowedOrigin: '*' }),
      (error: unknown) =>
        error instanceof SignalConfigError && error.code === 'unknown-key' && /allowedOrigin is not a known setting/.test(error.message),
    );
  });
});

describe('readStandaloneOptions', () => {
  const env =
    (vars: Record<string, string>) =>
    (name: string): string | undefined =>
      vars[name];

  it('reads PORT and the config var, with 8787 and an open server by default', () => {
    assert.deepEqual(readStandaloneOptions(env({})), {
      host: '127.0.0.1',
      port: 8787,
      allowedOrigins: '*',
      limits: {},
      trackerLimits: {},
      trustProxy: 'none',
      dashboardToken: null,
      p2p: {},
    });
    const config = JSON.stringify({ allowedOrigins: ['https://site.example'], trackerLimits: { maxOffers: 2 } });
    assert.deepEqual(readStandaloneOptions(env({ PORT: '0', PEER_CONNECT_SIGNAL_CONFIG: config })), {
      host: '127.0.0.1',
      port: 0,
      allowedOrigins: ['https://site.example'],
      limits: {},
      trackerLimits: { maxOffers: 2 },
      trustProxy: 'none',
      dashboardToken: null,
      p2p: {},
    });
  });

  it('reads the dashboard token and the P2P modes, and refuses a short token or an unknown mode', () => {
    const config = JSON.stringify({ p2p: { '*': 'download-only', 'blog.example': 'off' } });
    const options = readStandaloneOptions(
      env({ PEER_CONNECT_SIGNAL_CONFIG: config, PEER_CONNECT_DASHBOARD_TOKEN: 'a-token-of-20-chars!' }),
    );
    assert.equal(options.dashboardToken, 'a-token-of-20-chars!');
    assert.deepEqual(options.p2p, { '*': 'download-only', 'blog.example': 'off' });
    assert.throws(() => readStandaloneOptions(env({ PEER_CONNECT_DASHBOARD_TOKEN: 'short' })), { code: 'bad-dashboard-token' });
    assertRefused({ p2p: { 'blog.example': 'paused' } }, 'bad-p2p-mode', /p2p\.blog\.example must be one of on, download-only, off/);
    assertRefused({ p2p: { 'bad swarm': 'off' } }, 'bad-p2p-mode', /is not a swarm id/);
  });

  it('stops start-up on a bad port or config, with the code', () => {
    const codeOf = (vars: Record<string, string>): string | undefined => {
      try {
        readStandaloneOptions(env(vars));
        return undefined;
      } catch (error) {
        return error instanceof SignalConfigError ? error.code : 'not a SignalConfigError';
      }
    };
    assert.equal(codeOf({ PORT: 'http' }), 'bad-port');
    assert.equal(codeOf({ PORT: '70000' }), 'bad-port');
    assert.equal(codeOf({ PEER_CONNECT_SIGNAL_CONFIG: '{"allowedOrigin": "*"}' }), 'unknown-key');
  });
});

// ---- The tracker's limits against hostile clients (issue 11), decoded like every other limit ----
describe('decodeSignalConfig: tracker limits against hostile clients', () => {
  const hostile = {
    maxPeerIdsPerConnectionInSwarm: 1,
    newPeerIdBurst: 4,
    newPeerIdsPerMinute: 0.5,
    offerBurstPerTarget: 10,
    offersPerTargetPerMinute: 12,
    offerBurstPerSenderToTarget: 2,
    offersPerSenderToTargetPerMinute: 3,
  } as const;

  it('takes each of them, lowered', () => {
    assert.deepEqual(read({ trackerLimits: hostile }).trackerLimits, hostile);
  });

  it('refuses each of them raised past its default, naming it', () => {
    for (const key of Object.keys(hostile) as Array<keyof typeof hostile>) {
      assertRefused({ trackerLimits: { [key]: DEFAULT_TRACKER_LIMITS[key] + 1 } }, 'limit-raised', new RegExp(`trackerLimits: .*${key}`));
    }
  });
});
