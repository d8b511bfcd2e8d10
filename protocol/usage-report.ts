/**
 * What a bridge tells the signaling server about its page view (`report`), and what the server
 * tells bridges to do (`p2p-mode`). Reports are what visitors say: the server validates their
 * shape and bounds every number (protocol/limits.ts), but cannot check them; the dashboard labels
 * them so and shows what the server counts itself next to them.
 */
import { HASH_PATTERN, REPORT_MAX_ASSETS, REPORT_MAX_BYTES, REPORT_MAX_COUNT, REPORT_MAX_PATH_CHARS, SWARM_ID_PATTERN } from './limits.ts';
import { fail, isRecord, ok, type Result } from './result.ts';

/**
 * Whether a swarm's bridges share: `on`; `download-only` (they take pieces from peers but upload
 * none: a piece a linked peer asks for is not sent; offers parked before the switch stay parked); `off` (no P2P at all: the worker passes every request to the network).
 */
export const P2P_MODES = ['on', 'download-only', 'off'] as const;
export type P2pMode = (typeof P2P_MODES)[number];

export const isP2pMode = (value: unknown): value is P2pMode => (P2P_MODES as readonly unknown[]).includes(value);

/** Bytes the worker served, by source, and bytes uploaded: growth since the previous report. */
export interface ReportBytes {
  /**
   * Includes what the page prefetched from peers for the pages it links to (page-bridge/prefetch/):
   * bytes that crossed from peers all the same; the page that uses them is served them from the
   * store (`cache`).
   */
  peer: number;
  /** Includes `webSeed` (the worker counts web-seed bytes as origin bytes). */
  origin: number;
  cache: number;
  /** Bytes WebTorrent fetched from the web seed (the origin) for torrent assets. */
  webSeed: number;
  uploaded: number;
}

export const REPORT_BYTE_FIELDS = ['peer', 'origin', 'cache', 'webSeed', 'uploaded'] as const satisfies ReadonlyArray<keyof ReportBytes>;

/** Every counter a report carries, bytes and counts: what a bridge sums and the server totals. */
export const REPORT_COUNTER_FIELDS = [...REPORT_BYTE_FIELDS, 'failures', 'badPieces', 'bans'] as const;
export type ReportCounters = Record<(typeof REPORT_COUNTER_FIELDS)[number], number>;

/** Every counter at 0. */
export const zeroCounters = (): ReportCounters =>
  Object.fromEntries(REPORT_COUNTER_FIELDS.map((field) => [field, 0])) as Record<(typeof REPORT_COUNTER_FIELDS)[number], number>;

/** One asset's bytes from peers in this report; `path` as the manifest names it, shown on the dashboard. */
export interface ReportAsset {
  hash: string;
  path: string;
  peer: number;
}

/** Client → server. Every number is a non-negative integer delta, bounded per field. */
export interface UsageReport {
  type: 'report';
  bytes: ReportBytes;
  /** Piece requests to peers that failed. */
  failures: number;
  /** Pieces from peers that failed their hash. */
  badPieces: number;
  /** Peers this tab banned. */
  bans: number;
  assets: ReportAsset[];
}

/** Server → client: the swarm's mode changed; obey at once. */
export interface P2pModeMessage {
  type: 'p2p-mode';
  mode: P2pMode;
}

const isCount = (v: unknown, max: number): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;

/**
 * A path as text only: no control characters (C0, DEL, C1: a line break could forge a metrics
 * line), no line or paragraph separator, no bidirectional mark, embedding, override or isolate
 * (Unicode TR #9: they would show `invoice\u202egpj.exe` as `invoiceexe.jpg`). Markup is escaped
 * where shown.
 */
const PATH_PATTERN = new RegExp(
  `^[^\\u0000-\\u001f\\u007f-\\u009f\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069]{1,${REPORT_MAX_PATH_CHARS}}$`,
);

/** Whether a report may name an asset by `path` (the decoder refuses the report otherwise). */
export const isReportPath = (path: string): boolean => PATH_PATTERN.test(path);

/**
 * Decodes a parsed `report` (`m.type === 'report'`). Fails on anything but non-negative integers
 * within REPORT_MAX_BYTES / REPORT_MAX_COUNT, more than REPORT_MAX_ASSETS assets, a bad hash or
 * path, or a repeated hash; an absent count is 0.
 */
export function decodeReport(m: Record<string, unknown>): Result<UsageReport> {
  if (!isRecord(m.bytes)) return fail('report: bytes is not an object');
  const bytes: ReportBytes = { peer: 0, origin: 0, cache: 0, webSeed: 0, uploaded: 0 };
  for (const field of REPORT_BYTE_FIELDS) {
    // Absent is 0; null is not (it is no count at all).
    const v = m.bytes[field] === undefined ? 0 : m.bytes[field];
    if (!isCount(v, REPORT_MAX_BYTES)) return fail(`report: bytes.${field} must be an integer from 0 to ${REPORT_MAX_BYTES}`);
    bytes[field] = v;
  }
  const orZero = (v: unknown): unknown => (v === undefined ? 0 : v);
  const counts = { failures: orZero(m.failures), badPieces: orZero(m.badPieces), bans: orZero(m.bans) };
  for (const [field, v] of Object.entries(counts)) {
    if (!isCount(v, REPORT_MAX_COUNT)) return fail(`report: ${field} must be an integer from 0 to ${REPORT_MAX_COUNT}`);
  }
  const rawAssets = m.assets ?? [];
  if (!Array.isArray(rawAssets) || rawAssets.length > REPORT_MAX_ASSETS)
    return fail(`report: assets must be a list of at most ${REPORT_MAX_ASSETS}`);
  const assets: ReportAsset[] = [];
  const seen = new Set<string>();
  for (const a of rawAssets) {
    if (!isRecord(a) || typeof a.hash !== 'string' || !HASH_PATTERN.test(a.hash)) return fail('report: bad asset hash');
    if (typeof a.path !== 'string' || !isReportPath(a.path)) return fail('report: bad asset path');
    if (!isCount(a.peer, REPORT_MAX_BYTES)) return fail('report: bad asset bytes');
    if (seen.has(a.hash)) return fail('report: an asset named twice');
    seen.add(a.hash);
    assets.push({ hash: a.hash, path: a.path, peer: a.peer });
  }
  return ok({
    type: 'report',
    bytes,
    failures: counts.failures as number,
    badPieces: counts.badPieces as number,
    bans: counts.bans as number,
    assets,
  });
}

/** Decodes a parsed `p2p-mode` from the server. */
export function decodeP2pModeMessage(m: Record<string, unknown>): Result<P2pModeMessage> {
  return isP2pMode(m.mode) ? ok({ type: 'p2p-mode', mode: m.mode }) : fail('p2p-mode: unknown mode');
}

/**
 * The swarms' modes as a site owner writes them: `{"*": "on", "blog.example": "off"}` (`*`: every
 * swarm not named). Used by the config file, `PEER_CONNECT_SIGNAL_CONFIG.p2p` and the
 * authenticated `POST /peer-connect/p2p`.
 */
export type P2pModes = Readonly<Record<string, P2pMode>>;

export const DEFAULT_SWARM_KEY = '*';

export function decodeP2pModes(value: unknown): Result<P2pModes> {
  if (value === undefined) return ok({});
  if (!isRecord(value)) return fail('p2p must be an object of swarm id → "on" | "download-only" | "off"');
  const out: Record<string, P2pMode> = {};
  for (const [swarm, mode] of Object.entries(value)) {
    if (swarm !== DEFAULT_SWARM_KEY && !SWARM_ID_PATTERN.test(swarm))
      return fail(`p2p: ${JSON.stringify(swarm).slice(0, 140)} is not a swarm id`);
    if (!isP2pMode(mode)) return fail(`p2p.${swarm} must be one of ${P2P_MODES.join(', ')}`);
    out[swarm] = mode;
  }
  return ok(out);
}

/** A swarm's mode under `modes`: its own entry, else `*`, else `on`. */
export function modeOf(modes: P2pModes, swarm: string): P2pMode {
  return modes[swarm] ?? modes[DEFAULT_SWARM_KEY] ?? 'on';
}
