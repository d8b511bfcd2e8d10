/** `peer-connect serve --allowed-host` as a user runs it: a real process on 127.0.0.1, port 0. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { serveHostWarning } from '../../cli/main.ts';
import { rawRequest } from './serve-http.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'peer-connect.js');

/** Starts `serve` and resolves with its port once it prints its URL; `stop` kills that process. */
function startServe(args: string[]): Promise<{ port: number; stop: () => void }> {
  const child = spawn(process.execPath, [bin, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const port = /at http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)?.[1];
      if (port) resolve({ port: Number(port), stop: () => child.kill() });
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before listening: ${out}`)));
  });
}

describe('serve --allowed-host', () => {
  it('answers the given names and still refuses others', async () => {
    const root = await mkdtemp(join(tmpdir(), 'peer-connect-serve-cli-'));
    await writeFile(join(root, 'page.txt'), 'PAGE');
    const serve = await startServe([root, '--port', '0', '--allowed-host', 'www.example.com', '--allowed-host', 'example.com']);
    try {
      for (const host of ['www.example.com', 'example.com:8080', '127.0.0.1'])
        assert.equal((await rawRequest(serve.port, '/page.txt', { host })).status, 200, host);
      assert.equal((await rawRequest(serve.port, '/page.txt', { host: 'evil.example' })).status, 421);
    } finally {
      serve.stop();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('refuses to start with a malformed name, saying which', () => {
    const r = spawnSync(process.execPath, [bin, 'serve', tmpdir(), '--port', '0', '--allowed-host', 'https://example.com/'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not a host name: "https:\/\/example\.com\/"/);
  });
});

describe('serveHostWarning', () => {
  it('warns when serve listens beyond loopback and answers no name', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.2'])
      assert.match(serveHostWarning(host, []) ?? '', /refused with 421 until you pass --allowed-host/, host);
  });

  it('stays quiet on loopback, or once a name is given', () => {
    for (const host of ['127.0.0.1', '::1', 'localhost']) assert.equal(serveHostWarning(host, []), null, host);
    assert.equal(serveHostWarning('0.0.0.0', ['example.com']), null);
    assert.equal(serveHostWarning('0.0.0.0', ['*']), null);
  });
});
