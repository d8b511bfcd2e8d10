/**
 * Reports (`served`) for windows whose bridge has not said hello yet, kept until it does. A page's
 * first requests can be answered before its async bridge script listens (a `reload` page's images,
 * a `swap` page's LCP image, left unwrapped), and a message posted to a window before it listens
 * is dropped once its client message queue starts (at the latest when the document has parsed:
 * Service Workers §4.3.3 startMessages): its counters would miss those bytes. Pure; bounded: at
 * most `maxClients` windows (the oldest dropped first: a window that never says hello has no
 * bridge to count) and `maxPerClient` reports each (the oldest kept, the rest dropped).
 */
export class HeldReports<T> {
  private readonly held = new Map<string, T[]>();

  constructor(
    private readonly maxClients = 32,
    private readonly maxPerClient = 256,
  ) {}

  /** Keeps `report` for window `clientId`. */
  hold(clientId: string, report: T): void {
    let list = this.held.get(clientId);
    if (!list) {
      if (this.held.size >= this.maxClients) {
        const oldest = this.held.keys().next().value;
        if (oldest !== undefined) this.held.delete(oldest);
      }
      list = [];
      this.held.set(clientId, list);
    }
    if (list.length < this.maxPerClient) list.push(report);
  }

  /** The reports kept for `clientId`, in order, now forgotten. */
  take(clientId: string): T[] {
    const list = this.held.get(clientId) ?? [];
    this.held.delete(clientId);
    return list;
  }
}
