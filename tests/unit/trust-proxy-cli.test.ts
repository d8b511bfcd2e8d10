/**
 * `--trust-proxy` as an operator runs it behind a reverse proxy: a real `peer-connect signal`
 * process on 127.0.0.1, real WebSockets carrying the header a proxy would add. Without the flag
 * every socket counts as one address (the proxy's), so the per-address cap of a swarm holds the
 * whole audience; with it, each visitor's forwarded address is counted on its own, and a header a
 * client forges is still ignored when the flag is not given.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { proxyAddressWarning } from '../../cli/main.ts';
import { MAX_PEERS_PER_ADDRESS_IN_SWARM } from '../../protocol/limits.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'peer-connect.js');

/** Starts `peer-connect signal` (or `serve`, with its args) and resolves with its signaling URL once it prints it. */
function startSignal(args: string[], command: 'signal' | 'serve' = 'signal'): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [bin, command, ...args, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const url = /signaling at (ws:\/\/[^\s)]+)/.exec(out)?.[1];
      if (url) resolve({ url, stop: () => child.kill() });
    });
    child.once('exit', (code) => reject(new Error(`signal exited with ${code} before listening: ${out}`)));
  });
}

/** Opens a socket (with `forwardedFor` as X-Forwarded-For when given) and joins `swarm`: the server's first answer's type and code. */
async function joinSwarm(url: string, swarm: string, n: number, forwardedFor?: string): Promise<{ ws: WebSocket; answer: string }> {
  // A page of the server's own origin, as a browser would send it (`serve` accepts only those).
  const headers: Record<string, string> = { origin: new URL(url).origin.replace(/^ws/, 'http') };
  if (forwardedFor) headers['x-forwarded-for'] = forwardedFor;
  const ws = new WebSocket(`${url}?swarm=${swarm}`, { headers });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const answer = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`join ${n}: no answer`)), 10_000);
    ws.once('message', (data) => {
      clearTimeout(timer);
      const m = JSON.parse(String(data)) as { type: string; code?: string };
      resolve(m.code ? `${m.type}:${m.code}` : m.type);
    });
  });
  const peerId = `peer${String(n).padStart(20, '0')}`;
  ws.send(JSON.stringify({ type: 'join', swarm, peerId, have: [], offers: [], introduce: 0 }));
  return { ws, answer: await answer };
}

/** Joins `count` peers to one swarm, the i-th with `addressOf(i)` as its forwarded address; the answers in order. */
async function joinMany(url: string, count: number, addressOf: (i: number) => string | undefined): Promise<string[]> {
  const sockets: WebSocket[] = [];
  const answers: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const { ws, answer } = await joinSwarm(url, 'site.example', i, addressOf(i));
      sockets.push(ws);
      answers.push(answer);
    }
  } finally {
    for (const ws of sockets) ws.terminate();
  }
  return answers;
}

const beyondCap = MAX_PEERS_PER_ADDRESS_IN_SWARM + 2;

describe('peer-connect signal --trust-proxy', () => {
  it('without it, every socket is the proxy: the swarm is capped at one address worth of peers, forged headers or not', async () => {
    const server = await startSignal([]);
    try {
      const answers = await joinMany(server.url, beyondCap, (i) => `203.0.113.${i}`);
      assert.equal(answers.filter((a) => a === 'joined').length, MAX_PEERS_PER_ADDRESS_IN_SWARM);
      assert.deepEqual(answers.slice(MAX_PEERS_PER_ADDRESS_IN_SWARM), ['error:too-many-peers', 'error:too-many-peers']);
    } finally {
      server.stop();
    }
  });

  it('with x-forwarded-for, each visitor behind the proxy counts on its own, and one visitor is still capped', async () => {
    const server = await startSignal(['--trust-proxy', 'x-forwarded-for']);
    try {
      // The proxy appends the address it saw; a client's own entries come first and are not read.
      const distinct = await joinMany(server.url, beyondCap, (i) => `10.0.0.1, 203.0.113.${i}`);
      assert.deepEqual(distinct, Array(beyondCap).fill('joined'));
      const one = await joinMany(server.url, beyondCap, (i) => `198.51.100.${i}, 203.0.113.7`);
      assert.equal(one.filter((a) => a === 'joined').length, MAX_PEERS_PER_ADDRESS_IN_SWARM);
      assert.equal(one.at(-1), 'error:too-many-peers');
    } finally {
      server.stop();
    }
  });

  it('serve takes it too, for its embedded signaling', async () => {
    const root = await mkdtemp(join(tmpdir(), 'peer-connect-trust-proxy-'));
    const server = await startSignal([root, '--trust-proxy', 'x-forwarded-for'], 'serve');
    try {
      const distinct = await joinMany(server.url, beyondCap, (i) => `203.0.113.${i}`);
      assert.deepEqual(distinct, Array(beyondCap).fill('joined'));
    } finally {
      server.stop();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('refuses an unknown value, naming the flag and the choices', () => {
    const r = spawnSync(process.execPath, [bin, 'signal', '--port', '0', '--trust-proxy', 'yes'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--trust-proxy must be one of none, x-forwarded-for, cf-connecting-ip, got "yes"/);
  });
});

describe('proxyAddressWarning', () => {
  it('warns when the server listens on loopback for pages of a public origin and trusts no header', () => {
    for (const host of ['127.0.0.1', '::1', 'localhost'])
      assert.match(proxyAddressWarning(host, ['https://www.example.com'], 'none') ?? '', /--trust-proxy x-forwarded-for/, host);
  });

  it('stays quiet when a header is trusted, when it listens beyond loopback, or when every page origin is local', () => {
    assert.equal(proxyAddressWarning('127.0.0.1', ['https://www.example.com'], 'x-forwarded-for'), null);
    assert.equal(proxyAddressWarning('127.0.0.1', ['https://www.example.com'], 'cf-connecting-ip'), null);
    assert.equal(proxyAddressWarning('0.0.0.0', ['https://www.example.com'], 'none'), null);
    assert.equal(proxyAddressWarning('127.0.0.1', ['http://localhost:8080', 'http://[::1]:8080'], 'none'), null);
    assert.equal(proxyAddressWarning('127.0.0.1', [], 'none'), null);
  });
});
