/**
 * The complete assets this tab holds, and what it tells about them:
 *
 * - the signaling server gets all of them (the worker's `a:` records listed when it joins, plus
 *   each asset the worker reports `stored` since, minus each it reports `lost`): that is how
 *   other visitors' `want`s find this tab as a holder;
 * - a peer link gets only the ones in this page's scope: assets this page view used (the worker
 *   served them to this window: its `served` report goes to the requesting window only; a
 *   `fetch` may come for another tab's request, so it does not count). A new link is told those
 *   held assets, and an open link is told each one as it enters the scope or is stored. The rest
 *   (what earlier visits left in the store: a browsing history of the site) is never listed on
 *   the wire; a peer that wants one of them finds this tab through the server's `want` and
 *   simply requests it (an uploader serves any stored piece it is asked for).
 *
 * Nothing is announced when this visitor does not upload.
 */

export interface HaveAnnouncer {
  announce(type: 'have' | 'lost', hashes: string[]): void;
}

export interface HaveLink {
  sendHave(hashes: string[]): void;
  sendLost(hashes: string[]): void;
}

export interface LocalHaveOptions {
  uploading: boolean;
  /** The signaling client, once there is one (null: no signaling in this browser). */
  signal: () => HaveAnnouncer | null;
  /** Open peer links. */
  links: () => Iterable<HaveLink>;
}

export class LocalHave {
  private readonly hashes = new Set<string>();
  /** Assets this page view used, held or not. */
  private readonly scope = new Set<string>();
  /** Reported lost and not stored since: a store listing that still names them is older news. */
  private readonly gone = new Set<string>();

  constructor(private readonly options: LocalHaveOptions) {}

  /** What to announce to the signaling server on a join: nothing when not uploading. */
  list(): string[] {
    return this.options.uploading ? [...this.hashes] : [];
  }

  /** What to tell a new peer link: the held assets this page used; nothing when not uploading. */
  forLink(): string[] {
    return this.options.uploading ? [...this.hashes].filter((h) => this.scope.has(h)) : [];
  }

  /** Whether the worker holds every piece of `hash`, as far as this page has heard (listed at join, `stored`, `lost`). */
  holds(hash: string): boolean {
    return this.hashes.has(hash);
  }

  /**
   * A (re)join's listing of `a:` records; the join that follows announces them. As in sync(), a
   * read that began before a `lost` came (a reconnect during an eviction) does not bring it back.
   */
  addListed(hashes: Iterable<string>): void {
    for (const h of hashes) if (!this.gone.has(h)) this.hashes.add(h);
  }

  /** This page was served `hash`: open links may now hear of it. */
  used(hash: string): void {
    if (this.scope.has(hash)) return;
    this.scope.add(hash);
    if (!this.hashes.has(hash) || !this.options.uploading) return;
    for (const link of this.options.links()) link.sendHave([hash]);
  }

  /**
   * The store's `a:` records as read now (at the first `welcome` of a worker that has just taken
   * control of this page): any not heard of is announced as if `stored` had come. A `stored` is
   * sent only to windows the worker controls and that listen, so one from before this page was
   * controlled (a first visit: the worker installs while the page loads, and its join listed the
   * store before that) never reached it. Adds only: a `lost` comes from the worker, never from a
   * read that may race a write.
   */
  sync(hashes: Iterable<string>): void {
    // A read that began before a deploy's clean-up may still list what the worker since said is lost.
    for (const h of hashes) if (!this.gone.has(h)) this.stored(h);
  }

  stored(hash: string): void {
    this.gone.delete(hash);
    if (this.hashes.has(hash) || !this.options.uploading) return;
    this.hashes.add(hash);
    this.options.signal()?.announce('have', [hash]);
    if (this.scope.has(hash)) for (const link of this.options.links()) link.sendHave([hash]);
  }

  /** Only what was announced is taken back: a hash we never listed needs no `lost`, a link only those it was told. */
  lost(hashes: readonly string[]): void {
    for (const h of hashes) this.gone.add(h);
    const gone = hashes.filter((h) => this.hashes.delete(h));
    if (gone.length === 0 || !this.options.uploading) return;
    this.options.signal()?.announce('lost', gone);
    const told = gone.filter((h) => this.scope.has(h));
    if (told.length > 0) for (const link of this.options.links()) link.sendLost(told);
  }
}
