/**
 * What the worker knows about each window it controls: the build of its page and whether a
 * bridge runs in it. Two moments tell: the page's request for our bridge script (its URL carries
 * the page's build, `peer-connect.js?v=<build>`, and the browser asks for it while parsing the
 * head, before the body's images), and the bridge's `hello` (after it runs; also the answer to
 * `hello?` when a restarted worker has forgotten). A window that did neither is unknown: its
 * requests go to the network at once (see request-policy.ts), so a page with no bridge never waits.
 *
 * A window is asked for pieces only after its bridge said hello: a message posted earlier may be
 * dropped (the window's message queue opens by itself when its parsing ends, possibly before the
 * async bridge script has run).
 */
import type { WorkerToBridge } from '../protocol/bridge-messages.ts';
import { BRIDGE_HELLO_TIMEOUT_MS } from '../protocol/limits.ts';
import { forgetTorrentHeads } from './torrent-heads.ts';

declare const self: ServiceWorkerGlobalScope;

/** `expected`: its bridge script was requested; `ready`: it said hello; `silent`: it was waited for once in vain. */
type BridgeState = 'expected' | 'ready' | 'silent';
interface ClientInfo {
  build: string | null;
  bridge: BridgeState;
  /** False once its bridge said it does no P2P (not started, stopped, opted out): never ask it, nor others for it. */
  p2p: boolean;
  /** The site turned P2P off (`hello.passThrough`): none of its requests is answered by the worker. */
  passThrough?: boolean;
  /** A peer piece has come through its bridge: its links are up (see bridgeWarm). */
  peersServed?: boolean;
}

const clients = new Map<string, ClientInfo>();
const waiters = new Map<string, Array<() => void>>();
/**
 * Windows navigating to one of the build's pages (protocol/page-set.ts) that have not named their
 * build yet, with who waits for it. Their requests are held until it is named (our script's
 * request comes as the head is parsed) or PAGE_BUILD_TIMEOUT_MS passes.
 */
const naming = new Map<string, { since: number; list: Array<() => void> }>();
/** A navigation whose page never asked for anything is forgotten after this long. */
const NAMING_FORGET_MS = 60_000;

/** A navigation to one of the build's pages creates `clientId`: it will name its build soon. */
export function expectBuild(clientId: string, now = Date.now()): void {
  for (const [id, entry] of naming) if (now - entry.since > NAMING_FORGET_MS) naming.delete(id);
  if (clientId && !clients.has(clientId) && !naming.has(clientId)) naming.set(clientId, { since: now, list: [] });
}

/** The page's build once it names it, or undefined if it has not within `ms` (or is not expected to). */
export const isNamingBuild = (clientId: string): boolean => naming.has(clientId);

export function whenBuildKnown(clientId: string, ms: number): Promise<string | null | undefined> {
  const list = naming.get(clientId)?.list;
  if (!list) return Promise.resolve(buildOf(clientId));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      naming.delete(clientId); // it never named one: no bridge after all; never hold it again
      resolve(buildOf(clientId));
    }, ms);
    list.push(() => {
      clearTimeout(timer);
      resolve(buildOf(clientId));
    });
  });
}

function named(clientId: string): void {
  for (const wake of naming.get(clientId)?.list ?? []) wake();
  naming.delete(clientId);
}

/** The page asked for our bridge script: its build is in the URL, a hello will follow. */
export function onBridgeScript(clientId: string, build: string | null): void {
  if (!clientId || clients.get(clientId)?.bridge === 'ready') return;
  clients.set(clientId, { build, bridge: 'expected', p2p: true });
  named(clientId);
}

export function onHello(clientId: string, build: string | null, p2p = true, passThrough = false): void {
  clients.set(clientId, { build, bridge: 'ready', p2p, passThrough });
  named(clientId);
  for (const wake of waiters.get(clientId) ?? []) wake();
  waiters.delete(clientId);
}

/** Whether the window's bridge said the site turned P2P off: its requests go to the network untouched. */
/** Whether the window's bridge has said hello (it listens: a message posted now reaches it). */
export const hasHeard = (clientId: string): boolean => clients.get(clientId)?.bridge === 'ready';

export const passesThrough = (clientId: string): boolean => clientId !== '' && clients.get(clientId)?.passThrough === true;

/** The page's build; undefined when this worker has not heard from the page. */
export function buildOf(clientId: string): string | null | undefined {
  return clientId ? clients.get(clientId)?.build : undefined;
}

/** Asks a window this worker does not know (it restarted, or took over an open tab) to say hello. */
export async function askHello(clientId: string): Promise<void> {
  if (!clientId || clients.has(clientId)) return;
  const client = await self.clients.get(clientId);
  client?.postMessage({ pc: 'hello?' } satisfies WorkerToBridge);
}

function waitForHello(clientId: string, ms: number): Promise<boolean> {
  if (clients.get(clientId)?.bridge === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      const list = waiters.get(clientId) ?? [];
      list.splice(list.indexOf(wake), 1);
      const info = clients.get(clientId);
      // Its bridge did not come (blocked, failed): never hold this window's requests again.
      if (info && info.bridge === 'expected') info.bridge = 'silent';
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
 * Whether the requesting window's own bridge has already delivered a peer piece: if not, its first
 * piece includes the bridge's start-up (its hello comes before its signaling connection and WebRTC
 * links are up), and the request gets a cold hedge delay (sw/hedge-policy.ts). Only its own: the
 * map still holds the page a navigation just left until the next window listing forgets it.
 */
export const bridgeWarm = (clientId: string): boolean => {
  const info = clients.get(clientId);
  return info?.bridge === 'ready' && info.p2p && info.peersServed === true;
};

/** A peer piece came through `clientId`'s bridge. */
export function peersServing(clientId: string): void {
  const info = clients.get(clientId);
  if (info) info.peersServed = true;
}

/**
 * A window whose bridge listens and does P2P: the requesting one, else another such one. With
 * none, an `urgent` request (small and render-blocking: serve-deps.ts) goes to the origin at once;
 * any other waits briefly for the requesting window's bridge, but only when that bridge is on its
 * way (the page named its build, or its script was requested) and has not already been waited for
 * in vain. A window whose bridge said it does no P2P (`hello` with `p2p: false`: not started,
 * stopped, opted out) gets null at once, and is not served through another window's swarm either:
 * its page has not agreed to P2P.
 */
export async function readyBridge(clientId: string, urgent: boolean): Promise<Client | null> {
  // One window listing per request: it also forgets windows that are gone, so the map does not
  // grow with every page view.
  const pick = async (): Promise<Client | null> => {
    const windows = await self.clients.matchAll({ type: 'window' });
    const alive = new Set(windows.map((w) => w.id));
    for (const id of clients.keys()) if (!alive.has(id)) clients.delete(id);
    forgetTorrentHeads(alive);
    if (clients.get(clientId)?.p2p === false) return null;
    const ready = (w: Client): boolean => {
      const info = clients.get(w.id);
      return info?.bridge === 'ready' && info.p2p;
    };
    return windows.find((w) => w.id === clientId && ready(w)) ?? windows.find(ready) ?? null;
  };
  const now = await pick();
  if (now || urgent || clients.get(clientId)?.bridge !== 'expected') return now;
  return (await waitForHello(clientId, BRIDGE_HELLO_TIMEOUT_MS)) ? pick() : null;
}
