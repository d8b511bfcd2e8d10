/**
 * The site owner's cap on what one visitor uploads (`--upload-cap <per page view>/<per day>`):
 * bytes in this page view, and bytes on this day (UTC) across the origin's page views, counted
 * in `localStorage` so the cap holds across pages and tabs (tabs of one origin share the count;
 * two tabs uploading in the same instant can each pass it by one piece). Pure but for the storage,
 * which is injected, so it is unit-tested without a browser. A storage that cannot be read or
 * written makes the day's count this page view's only: the per-page cap still holds.
 */
import type { UploadCapConfig } from '../../protocol/bridge-config.ts';

/** The `localStorage` key of the day's count: `{"day": "2026-11-30", "bytes": 123}`. */
export const UPLOADED_TODAY_KEY = 'peer-connect:uploaded-today';

export interface CapStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export class UploadCap {
  private pageBytes = 0;
  /** What this page view uploaded on the day it is now, in case the storage cannot say. */
  private own = { day: '', bytes: 0 };

  constructor(
    private readonly cap: UploadCapConfig,
    private readonly storage: () => CapStorage | null,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether `bytes` more may go out now, under both caps. */
  allows(bytes: number): boolean {
    const { perPageView, perDay } = this.cap;
    if (perPageView !== null && this.pageBytes + bytes > perPageView) return false;
    if (perDay !== null && this.today() + bytes > perDay) return false;
    return true;
  }

  /** `bytes` went out: counted for the page view and the day. */
  charge(bytes: number): void {
    const day = dayOf(this.now());
    const before = this.today();
    this.pageBytes += bytes;
    this.own = { day, bytes: (this.own.day === day ? this.own.bytes : 0) + bytes };
    if (this.cap.perDay === null) return;
    try {
      this.safeStorage()?.setItem(UPLOADED_TODAY_KEY, JSON.stringify({ day, bytes: before + bytes }));
    } catch {
      // Storage full or blocked: this page view's own count still applies.
    }
  }

  /** Bytes uploaded today (UTC) by this origin's page views, as stored; at least this page view's own. */
  today(): number {
    const day = dayOf(this.now());
    const own = this.own.day === day ? this.own.bytes : 0;
    const raw = this.safeStorage()?.getItem(UPLOADED_TODAY_KEY) ?? null;
    if (raw === null) return own;
    try {
      const value = JSON.parse(raw) as { day?: unknown; bytes?: unknown };
      if (value.day !== day || typeof value.bytes !== 'number' || !(value.bytes >= 0)) return own;
      return Math.max(value.bytes, own);
    } catch {
      return own;
    }
  }

  private safeStorage(): CapStorage | null {
    try {
      return this.storage();
    } catch {
      return null;
    }
  }
}
