/**
 * Which windows run a listening bridge. A window is asked for pieces only after its bridge said
 * hello: a message posted earlier may be dropped (the window's message queue opens by itself
 * when its parsing ends, possibly before the async bridge script has run), and the request would
 * then wait out the whole accept deadline for nothing.
 */
import { BRIDGE_HELLO_TIMEOUT_MS } from '../protocol/limits.ts';

declare const self: ServiceWorkerGlobalScope;

const ready = new Set<string>();
const waiters = new Map<string, Array<() => void>>();

export function onHello(clientId: string): void {
  ready.add(clientId);
  for (const wake of waiters.get(clientId) ?? []) wake();
  waiters.delete(clientId);
}

function waitForHello(clientId: string, ms: number): Promise<boolean> {
  if (ready.has(clientId)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      const list = waiters.get(clientId) ?? [];
      list.splice(list.indexOf(wake), 1);
      resolve(false);
    }, ms);
    const wake = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    waiters.set(clientId, [...(waiters.get(clientId) ?? []), wake]);
  });
}

/**
 * A window whose bridge listens: the requesting one, else another ready one. With none ready,
 * a small request goes to the origin at once; a larger one waits briefly for the requesting
 * window's bridge (and asks, in case this worker restarted and forgot who said hello).
 */
export async function readyBridge(clientId: string, small: boolean): Promise<Client | null> {
  // One window listing per request: it also forgets windows that are gone, so the set does not
  // grow with every page view.
  const pick = async (): Promise<Client | null> => {
    const windows = await self.clients.matchAll({ type: 'window' });
    const alive = new Set(windows.map((w) => w.id));
    for (const id of ready) if (!alive.has(id)) ready.delete(id);
    return windows.find((w) => w.id === clientId && ready.has(w.id)) ?? windows.find((w) => ready.has(w.id)) ?? null;
  };
  const now = await pick();
  if (now || small || !clientId) return now;
  const client = await self.clients.get(clientId);
  client?.postMessage({ pc: 'hello?' });
  return (await waitForHello(clientId, BRIDGE_HELLO_TIMEOUT_MS)) ? pick() : null;
}
