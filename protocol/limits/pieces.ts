/** Piece and asset sizes. Part of protocol/limits.ts: import from there. */
/**
 * Piece size. 64 KiB: one piece is one data-channel message (Chromium's max message is 262144
 * bytes, and SCTP interleaving is poor above ~64 KiB), small enough that a stalled piece costs
 * little to refetch from the origin, large enough that per-piece hashes stay ~0.1% of the bytes.
 */
export const PIECE_SIZE = 64 * 1024;

/** Largest piece size a manifest may declare (one data-channel message, minus our frame header). */
export const MAX_PIECE_SIZE = 256 * 1024 - 16;

/** Largest asset a manifest may describe (2 GiB): piece indexes and offsets stay exact in doubles. */
export const MAX_ASSET_SIZE = 2 * 1024 * 1024 * 1024;
