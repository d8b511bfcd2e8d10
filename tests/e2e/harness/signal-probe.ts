/**
 * Asks the real signaling server who holds an asset, as a newcomer would (`join`, then `want`),
 * so a test proves what visitors announced (`have`/`lost`) from the server's own index rather
 * than from a page's counters.
 */
import WebSocket from 'ws';
import { decodeServerMessage, type ServerMessage } from '../../../protocol/signal-messages.ts';
import type { TestSite } from './site.ts';
import { waitUntil } from './wait.ts';

/** Peer ids the server returns for `hash` in `swarm` (at most MAX_PEERS_PER_WANT of them). */
export async function holdersOf(signalUrl: string, swarm: string, hash: string, timeoutMs = 5_000): Promise<string[]> {
  const ws = new WebSocket(`${signalUrl}?swarm=${encodeURIComponent(swarm)}`);
  try {
    const next = inbox(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const peerId = `probe${Math.random().toString(36).slice(2).padEnd(16, 'x')}`.slice(0, 24);
    ws.send(JSON.stringify({ type: 'join', swarm, peerId, have: [], offers: [], introduce: 0 }));
    const joined = await next(timeoutMs);
    if (joined.type !== 'joined') throw new Error(`signal probe: expected joined, got ${JSON.stringify(joined)}`);
    ws.send(JSON.stringify({ type: 'want', hash, exclude: [] }));
    const peers = await next(timeoutMs);
    if (peers.type !== 'peers') throw new Error(`signal probe: expected peers, got ${JSON.stringify(peers)}`);
    return peers.peers.map((p) => p.peerId);
  } finally {
    ws.close();
  }
}

function inbox(ws: WebSocket): (timeoutMs: number) => Promise<ServerMessage> {
  const queue: ServerMessage[] = [];
  const waiting: Array<(m: ServerMessage) => void> = [];
  ws.on('message', (data) => {
    const decoded = decodeServerMessage(String(data));
    if (!decoded.ok) return;
    const w = waiting.shift();
    if (w) w(decoded.value);
    else queue.push(decoded.value);
  });
  return (timeoutMs) =>
    new Promise((resolve, reject) => {
      const m = queue.shift();
      if (m) return resolve(m);
      const timer = setTimeout(() => reject(new Error('signal probe: no answer')), timeoutMs);
      waiting.push((msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
    });
}

/**
 * Until the signaling server's own index lists a holder for every one of `paths` (site paths of
 * assets): a visitor has stored and announced them, so a newcomer arriving now can be served by it.
 * `ms` per path: the harness's hang guard (60 s a step), not a speed the product must meet; a
 * timeout names the paths already announced, so a never-announced asset is told from a slow one.
 */
export async function waitUntilSeeding(site: TestSite, paths: readonly string[], ms = 60_000): Promise<void> {
  const swarm = new URL(site.origin.url).host;
  const announced: string[] = [];
  for (const path of paths) {
    const hash = site.manifest.assets[path]?.hash;
    if (!hash) throw new Error(`${path} is not an asset of the site`);
    try {
      await waitUntil(`${path} announced`, ms, async () => ((await holdersOf(site.signalUrl, swarm, hash)).length > 0 ? true : undefined));
    } catch (error) {
      throw new Error(`${(error as Error).message} (announced before it: ${JSON.stringify(announced)} of ${JSON.stringify(paths)})`);
    }
    announced.push(path);
  }
}
