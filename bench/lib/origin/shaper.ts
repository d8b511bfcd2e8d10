/**
 * Caps the bandwidth of the origin servers, and only theirs (the signaling server and WebRTC
 * between browsers also run on loopback and must stay unthrottled).
 *
 * Preferred: one `tc` htb class on `lo` that every origin port's outgoing traffic is filtered
 * into, so the cap is for the whole path, as a real link is: a browser's six parallel
 * connections share 10 Mbit/s. This is done only inside the benchmark's own loopback-only
 * network namespace (PEER_CONNECT_NETNS=1, set by scripts/bench.js) and as root: never on the
 * host's `lo`. Elsewhere it falls back to the origin server's per-response throttle, which lets
 * parallel responses each have the full rate; the tables say which one was used.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** htb needs a burst at least one loopback segment (64 KiB with GSO) or it cannot send at all. */
const BURST = '80kb';
/** Default class for everything else on lo: far above what two cores can push. */
const UNSHAPED_RATE = '100gbit';
const QUANTUM = '60000';

export interface Shaper {
  /** How the cap is applied, for the tables' notes. */
  readonly kind: 'tc' | 'per-response' | 'none';
  /** Per-response throttle to pass to the origin server (only when tc is not used). */
  readonly bytesPerSecond: number | undefined;
  /** Puts this origin port's outgoing traffic under the cap. */
  limitPort(port: number): Promise<void>;
  close(): Promise<void>;
}

const tc = async (...args: string[]): Promise<void> => {
  await run('tc', args, { timeout: 5_000 });
};

async function tcUsable(): Promise<boolean> {
  if (process.env.PEER_CONNECT_NETNS !== '1' || process.getuid?.() !== 0) return false;
  try {
    await run('tc', ['-V'], { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

export async function createShaper(bitsPerSecond: number | null): Promise<Shaper> {
  if (bitsPerSecond === null) {
    return { kind: 'none', bytesPerSecond: undefined, limitPort: async () => undefined, close: async () => undefined };
  }
  if (!(await tcUsable())) {
    return { kind: 'per-response', bytesPerSecond: bitsPerSecond / 8, limitPort: async () => undefined, close: async () => undefined };
  }
  // A previous run killed mid-way in this same namespace could have left a root qdisc.
  await tc('qdisc', 'del', 'dev', 'lo', 'root').catch(() => undefined);
  await tc('qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb', 'default', '20');
  const rate = `${bitsPerSecond}bit`;
  await tc(
    'class',
    'add',
    'dev',
    'lo',
    'parent',
    '1:',
    'classid',
    '1:10',
    'htb',
    'rate',
    rate,
    'ceil',
    rate,
    'burst',
    BURST,
    'cburst',
    BURST,
    'quantum',
    QUANTUM,
  );
  await tc(
    'class',
    'add',
    'dev',
    'lo',
    'parent',
    '1:',
    'classid',
    '1:20',
    'htb',
    'rate',
    UNSHAPED_RATE,
    'ceil',
    UNSHAPED_RATE,
    'quantum',
    QUANTUM,
  );
  return {
    kind: 'tc',
    bytesPerSecond: undefined,
    async limitPort(port) {
      await tc(
        'filter',
        'add',
        'dev',
        'lo',
        'parent',
        '1:',
        'protocol',
        'ip',
        'prio',
        '1',
        'u32',
        'match',
        'ip',
        'sport',
        String(port),
        '0xffff',
        'flowid',
        '1:10',
      );
    },
    async close() {
      await tc('qdisc', 'del', 'dev', 'lo', 'root').catch(() => undefined);
    },
  };
}

export function describeShaping(kind: Shaper['kind']): string {
  if (kind === 'tc') return 'bandwidth capped with tc htb on the origin port (shared by all connections)';
  if (kind === 'per-response')
    return 'bandwidth capped per response by the origin server (no tc here: parallel responses each get the full rate)';
  return 'no bandwidth cap';
}
