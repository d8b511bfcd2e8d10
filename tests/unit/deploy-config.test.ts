/**
 * The check `peer-connect deploy` runs on the wrangler config before uploading: the Worker's
 * config, read from JSONC as wrangler reads it and decoded by the Worker's own decoder.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { deployedSignalConfig, openOriginsProblem } from '../../cli/deploy-config.ts';

const REPO_CONFIG = join(import.meta.dirname, '..', '..', 'wrangler.jsonc');
const PATH = 'site/wrangler.jsonc';

describe('deployedSignalConfig', () => {
  it('reads the shipped wrangler.jsonc: any origin, so deploy warns', () => {
    assert.equal(deployedSignalConfig(readFileSync(REPO_CONFIG, 'utf8'), REPO_CONFIG).allowedOrigins, '*');
  });

  it('reads comments and trailing commas, and the var as an object or a JSON string', () => {
    const asObject = `{
      // the site
      "name": "x", /* block */
      "vars": { "PEER_CONNECT_SIGNAL_CONFIG": { "allowedOrigins": ["https://site.example",], }, },
    }`;
    assert.deepEqual(deployedSignalConfig(asObject, PATH).allowedOrigins, ['https://site.example']);
    const asString = `{ "vars": { "PEER_CONNECT_SIGNAL_CONFIG": ${JSON.stringify(JSON.stringify({ allowedOrigins: ['https://a.example'] }))} } }`;
    assert.deepEqual(deployedSignalConfig(asString, PATH).allowedOrigins, ['https://a.example']);
  });

  it('is open when the var or vars are missing, as the Worker defaults', () => {
    assert.equal(deployedSignalConfig('{ "name": "x" }', PATH).allowedOrigins, '*');
    assert.equal(deployedSignalConfig('{ "vars": { "OTHER": "1" } }', PATH).allowedOrigins, '*');
  });

  it("refuses what the Worker would answer 500 to, with the decoder's message and the file", () => {
    const raised =
      '{ "vars": { "PEER_CONNECT_SIGNAL_CONFIG": { "allowedOrigins": ["https://site.example"], "limits": { "maxPeersPerSwarm": 1e9 } } } }';
    assert.throws(
      () => deployedSignalConfig(raised, PATH),
      /^Error: site\/wrangler\.jsonc: vars\.PEER_CONNECT_SIGNAL_CONFIG would make the Worker answer every request with 500: PEER_CONNECT_SIGNAL_CONFIG\.limits: .*may be lowered, not raised/,
    );
    assert.throws(() => deployedSignalConfig('{ "vars": { "PEER_CONNECT_SIGNAL_CONFIG": "{nope" } }', PATH), /is not JSON/);
  });

  it('refuses a file that is not JSONC, with the line and column', () => {
    assert.throws(
      () => deployedSignalConfig('{\n  "name": "x"\n  "main": "y"\n}', PATH),
      /^Error: site\/wrangler\.jsonc:3:3: not JSONC \(CommaExpected\)/,
    );
    assert.throws(() => deployedSignalConfig('[]', PATH), /must be a JSON object/);
  });

  it('refuses a TOML config rather than skip the check', () => {
    assert.throws(() => deployedSignalConfig('name = "x"', 'wrangler.toml'), /wrangler\.toml: only wrangler\.json or wrangler\.jsonc/);
  });
});

describe('openOriginsProblem', () => {
  it('names the file, the open origin list and the fix', () => {
    const text = openOriginsProblem(PATH);
    assert.match(text, /site\/wrangler\.jsonc deploys allowedOrigins "\*"/);
    assert.match(text, /Set vars\.PEER_CONNECT_SIGNAL_CONFIG\.allowedOrigins to your site's origins/);
  });
});
