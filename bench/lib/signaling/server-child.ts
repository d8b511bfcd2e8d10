/**
 * One signaling server alone in its own Node process, so its memory can be measured apart from
 * the load generator's: ours (signal-worker's Node adapter) or bittorrent-tracker's WebSocket
 * server. Controlled by the parent over the fork IPC channel:
 *   → {type:'ready', url}   ← {type:'mem'} → {type:'mem', rss, heapUsed}   ← {type:'stop'}
 * Run with --expose-gc: memory is read after a full collection, so garbage does not count.
 */
import { Server as TrackerServer } from 'bittorrent-tracker';
import { startSignalServer } from '../../../signal-worker/adapter/node/index.ts';
import type { ServerKind, ServerReply, ServerRequest } from './ipc.ts';

const HOST = '127.0.0.1';

async function startOurs(): Promise<{ url: string; close(): Promise<void> }> {
  const s = await startSignalServer({ port: 0, host: HOST, allowedOrigins: '*' });
  return { url: s.url, close: () => s.close() };
}

async function startTracker(): Promise<{ url: string; close(): Promise<void> }> {
  const server = new TrackerServer({ udp: false, http: false, ws: true, stats: false });
  // Bad or late messages are warnings to the tracker; they must not go to stderr by the thousand.
  server.on('warning', () => undefined);
  server.on('error', (e: unknown) => process.stderr.write(`tracker error: ${String(e)}\n`));
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const address = server.http?.address();
  if (!address || typeof address === 'string') throw new Error('tracker has no address');
  return { url: `ws://${HOST}:${address.port}`, close: () => new Promise((r) => server.close(() => r())) };
}

const send = (m: ServerReply): void => {
  process.send?.(m);
};

async function main(): Promise<void> {
  const kind = process.argv[2] as ServerKind;
  const server = kind === 'tracker' ? await startTracker() : await startOurs();
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (raw: ServerRequest) => {
    if (raw.type === 'mem') {
      gc?.();
      gc?.();
      const m = process.memoryUsage();
      send({ type: 'mem', rss: m.rss, heapUsed: m.heapUsed });
    } else if (raw.type === 'stop') {
      void server.close().finally(() => process.exit(0));
    }
  });
  send({ type: 'ready', url: server.url });
}

main().catch((e: unknown) => {
  process.stderr.write(`signal server child failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
