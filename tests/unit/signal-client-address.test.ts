/**
 * Which address the per-address caps count: the runtime's, or a proxy header only when the
 * config trusts that proxy (signal-worker/client-address.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import { clientAddress, type TrustProxy } from '../../signal-worker/client-address.ts';

async function addressOf(trust: TrustProxy, headers: Record<string, string>, runtime: string | null = '10.0.0.1'): Promise<string> {
  const app = new Hono();
  app.get('/', (c) => c.text(String(clientAddress(c, trust, () => runtime))));
  return (await app.request('/', { headers })).text();
}

describe('clientAddress', () => {
  it('counts the runtime address by default, whatever headers the client sends', async () => {
    assert.equal(await addressOf('none', { 'x-forwarded-for': '1.2.3.4', 'cf-connecting-ip': '5.6.7.8' }), '10.0.0.1');
    assert.equal(await addressOf('none', {}, null), 'null');
  });

  it("takes X-Forwarded-For's last hop (the one our proxy appended) only when told", async () => {
    assert.equal(await addressOf('x-forwarded-for', { 'x-forwarded-for': 'forged-by-client, 203.0.113.9' }), '203.0.113.9');
    assert.equal(await addressOf('x-forwarded-for', {}), 'null');
  });

  it('takes CF-Connecting-IP only when told', async () => {
    assert.equal(await addressOf('cf-connecting-ip', { 'cf-connecting-ip': '198.51.100.7' }), '198.51.100.7');
  });

  it('a runtime that cannot say gives no address rather than an error', async () => {
    const app = new Hono();
    const throwing = (): string => {
      throw new TypeError('no socket info');
    };
    app.get('/', (c) => c.text(String(clientAddress(c, 'none', throwing))));
    assert.equal(await (await app.request('/')).text(), 'null');
  });
});
