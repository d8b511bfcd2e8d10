/**
 * The complete assets this tab announces: the worker's `a:` records listed when it joins, plus
 * each asset the worker reports `stored` since, minus each it reports `lost`. Changes are
 * announced to the signaling server and to every open peer link, only when this visitor uploads.
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

  constructor(private readonly options: LocalHaveOptions) {}

  /** What to announce on a join or to a new link: nothing when not uploading. */
  list(): string[] {
    return this.options.uploading ? [...this.hashes] : [];
  }

  /** The start-up listing of `a:` records; the join that follows announces them. */
  addListed(hashes: Iterable<string>): void {
    for (const h of hashes) this.hashes.add(h);
  }

  stored(hash: string): void {
    if (this.hashes.has(hash) || !this.options.uploading) return;
    this.hashes.add(hash);
    this.options.signal()?.announce('have', [hash]);
    for (const link of this.options.links()) link.sendHave([hash]);
  }

  /** Only what was announced is taken back: a hash we never listed needs no `lost`. */
  lost(hashes: readonly string[]): void {
    const gone = hashes.filter((h) => this.hashes.delete(h));
    if (gone.length === 0 || !this.options.uploading) return;
    this.options.signal()?.announce('lost', gone);
    for (const link of this.options.links()) link.sendLost(gone);
  }
}
