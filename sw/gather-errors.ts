/**
 * Why a piece could not be gathered, as a code the response builder acts on. These travel as
 * promise rejections (a piece's waiters, a stream's pull), so they are Error subclasses; the
 * `code` is what callers switch on, never the message.
 */

export type GatherErrorCode =
  /** The origin's file is not the manifest's (its size, or a piece's SHA-256): a deploy changed it. */
  | 'asset-changed'
  /** The origin answered with a status that is its own answer to the page (401, 403, 404, 410, 5xx…). */
  | 'origin-status'
  /** The origin could not be reached or its body broke off. */
  | 'origin-failed'
  /**
   * The asset's piece-hash list could not be had or did not match its manifest root
   * (sw/piece-lists.ts): no piece can be verified, so the page's request goes to the network.
   */
  | 'piece-list'
  /** The request was cancelled (the page stopped reading). */
  | 'cancelled';

export class GatherError extends Error {
  constructor(
    readonly code: GatherErrorCode,
    message: string,
    /** For `origin-status`: the origin's response, body unread, to hand to the page as it is. */
    readonly response?: Response,
  ) {
    super(message);
    this.name = 'GatherError';
  }
}

export const isGatherError = (e: unknown, code?: GatherErrorCode): e is GatherError =>
  e instanceof GatherError && (code === undefined || e.code === code);

/** Any failure as a GatherError (a plain Error from fetch or a stream becomes `origin-failed`). */
export const asGatherError = (e: unknown): GatherError =>
  e instanceof GatherError ? e : new GatherError('origin-failed', e instanceof Error ? e.message : String(e));
