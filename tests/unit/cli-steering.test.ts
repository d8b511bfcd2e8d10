/**
 * `peer-connect signal --dashboard-token --p2p-config <file>` as an operator runs it: a real
 * process; the modes file is read at start and again on SIGHUP, and a bridge connected meanwhile
 * is told at once; a bad file on SIGHUP keeps the modes in force; a short token stops start-up.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { SignalClient } from '../compliance/support/signal-client.ts';
import { eventually } from '../compliance/support/wait.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'peer-connect.js');
const TOKEN = 'cli-steering-token-0123456789';

test('signal --p2p-config: read at start, re-read on SIGHUP, the open bridge told; a bad file keeps the modes', {
  timeout: 60_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-cli-p2p-'));
  const file = join(dir, 'modes.json');
  writeFileSync(file, JSON.stringify({ 'a.example': 'off' }));
  const child = spawn(process.execPath, [bin, 'signal', '--port', '0', '--dashboard-token', TOKEN, '--p2p-config', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  try {
    await eventually(async () => lines.some((l) => l.startsWith('signaling at ')), 'the server to listen', 30_000);
    const url = lines.find((l) => l.startsWith('signaling at '))!.slice('signaling at '.length);
    const origin = new URL(url.replace(/^ws/, 'http')).origin;
    const modes = async () =>
      ((await (await fetch(`${origin}/peer-connect/p2p`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json()) as { modes: object })
        .modes;
    assert.deepEqual(await modes(), { 'a.example': 'off' });
    const client = await SignalClient.connect(url, 'b.example');
    try {
      assert.equal((await client.join('bridge')).mode, 'on');
      writeFileSync(file, JSON.stringify({ '*': 'download-only', 'a.example': 'off' }));
      child.kill('SIGHUP');
      assert.deepEqual(await client.next('p2p-mode', 10_000), { type: 'p2p-mode', mode: 'download-only' });
      assert.deepEqual(await modes(), { '*': 'download-only', 'a.example': 'off' });
      writeFileSync(file, '{"*": "paused"}');
      child.kill('SIGHUP');
      await eventually(async () => lines.some((l) => l.startsWith('p2p modes not reloaded')), 'the refusal', 10_000);
      assert.deepEqual(await modes(), { '*': 'download-only', 'a.example': 'off' });
    } finally {
      client.ws.terminate();
    }
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('signal --dashboard-token refuses a token shorter than 16 characters', () => {
  const r = spawnSync(process.execPath, [bin, 'signal', '--port', '0', '--dashboard-token', 'short'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /at least 16 characters/);
});
