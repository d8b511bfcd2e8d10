/**
 * Which pieces of each asset this worker knows to be stored, so an asset is announced as soon as
 * all its pieces are in storage, however they got there: one full response, several Range
 * responses (a `<video>` asks in parts), or a response the page cancelled half-way.
 * In memory only: after a worker restart the bridge's start-up listing of `a:` records covers
 * what was already complete.
 */
export class CompletionTracker {
  private readonly present = new Map<string, Set<number>>();
  private readonly done = new Set<string>();

  saw(hash: string, index: number): void {
    if (this.done.has(hash)) return;
    let set = this.present.get(hash);
    if (!set) this.present.set(hash, (set = new Set()));
    set.add(index);
  }

  lost(hash: string, index: number): void {
    this.present.get(hash)?.delete(index);
  }

  /** True once, the first time every piece of `hash` is known stored. */
  completes(hash: string, pieces: number): boolean {
    if (this.done.has(hash) || (this.present.get(hash)?.size ?? 0) < pieces || pieces === 0) return false;
    this.done.add(hash);
    this.present.delete(hash);
    return true;
  }
}
