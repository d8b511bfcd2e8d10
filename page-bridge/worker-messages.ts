/**
 * The bridge's side of the messages its worker posts to the window (protocol/bridge-messages.ts,
 * WorkerToBridge): each decoded and handed to its handler. Anything else posted to the window
 * (other scripts of the page, a worker of an older deploy sending what we no longer know) is dropped.
 */
import { decodeWorkerToBridge, type WorkerToBridge } from '../protocol/bridge-messages.ts';

export type FetchRequest = Extract<WorkerToBridge, { pc: 'fetch' }>;
export type ServedReport = Extract<WorkerToBridge, { pc: 'served' }>;

export interface WorkerMessageHandlers {
  /** A restarted worker asks whether a bridge runs here (it forgot): say hello again. */
  helloAsked(): void;
  /** The answer to our hello: `build` is the worker's own. */
  welcome(build: string): void;
  /** Pieces wanted; replies go on `port` (page-bridge/worker-port.ts). */
  fetch(request: FetchRequest, port: MessagePort): void;
  /** The worker now holds every piece of `hash`: announce it. */
  stored(hash: string): void;
  /** The worker stored piece `index` of `hash`, which this window asked for (a request held for it can be served). */
  pieceStored(hash: string, index: number): void;
  /** The worker takes `hash` from the origin without asking: register as fetching it all the same. */
  fetching(hash: string): void;
  /** The worker deleted these complete assets: stop announcing them. */
  lost(hashes: string[]): void;
  /** One response the worker finished, with its bytes by source. */
  served(report: ServedReport): void;
}

/** The part of a MessageEvent the dispatch reads. */
export interface WorkerMessage {
  data: unknown;
  ports: readonly MessagePort[];
}

export function dispatchWorkerMessage(event: WorkerMessage, handlers: WorkerMessageHandlers): void {
  const decoded = decodeWorkerToBridge(event.data);
  if (!decoded.ok) return;
  const m = decoded.value;
  switch (m.pc) {
    case 'hello?':
      return handlers.helloAsked();
    case 'welcome':
      return handlers.welcome(m.build);
    case 'fetch': {
      // A fetch without its port could never be answered: the worker's deadline covers it.
      const port = event.ports[0];
      if (port) handlers.fetch(m, port);
      return;
    }
    case 'stored':
      return handlers.stored(m.hash);
    case 'piece-stored':
      return handlers.pieceStored(m.hash, m.index);
    case 'fetching':
      return handlers.fetching(m.hash);
    case 'lost':
      return handlers.lost(m.hashes);
    case 'served':
      return handlers.served(m);
  }
}

/**
 * Listens on `navigator.serviceWorker` and opens its queue. Call before registering the worker:
 * its messages wait in the queue until a handler exists.
 */
export function listenToWorker(container: ServiceWorkerContainer | undefined, handlers: WorkerMessageHandlers): void {
  container?.addEventListener('message', (event: MessageEvent) => dispatchWorkerMessage(event, handlers));
  container?.startMessages();
}
