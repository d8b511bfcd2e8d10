/**
 * When a torrent should take bytes from its web seed (the file on the origin). WebTorrent treats a
 * web seed as one more peer and spreads requests over every wire, so a web seed added at once
 * would take a share of every piece even when peers hold the whole file: bytes the origin pays
 * for. So it is added only when peers cannot serve what is being read: none in the swarm, none
 * connected after a grace period, or no progress for a while. Once added it stays for the life
 * of the torrent in this tab: a stall suggests the peers are slow, and playback matters more.
 */
export interface WebSeedLimits {
  /** How long a reader waits for a first peer when the tracker has not said the swarm is empty. */
  peerGraceMs: number;
  /** No byte from any wire for this long while reading: the peers are not delivering. */
  stallMs: number;
}

export interface WebSeedView {
  now: number;
  /** When the current reading began (ms), or null when nothing is being read. */
  readingSince: number | null;
  /** Last time a byte arrived from any wire (ms), or null. */
  lastByteAt: number | null;
  /** Open non-web-seed wires. */
  peerWires: number;
  /** Other peers in the swarm as the tracker last counted them; null before its first answer. */
  othersInSwarm: number | null;
  webSeedOn: boolean;
}

export function shouldAddWebSeed(v: WebSeedView, limits: WebSeedLimits): boolean {
  if (v.webSeedOn || v.readingSince === null) return false;
  if (v.peerWires === 0) {
    if (v.othersInSwarm === 0) return true;
    return v.now - v.readingSince >= limits.peerGraceMs;
  }
  const since = Math.max(v.readingSince, v.lastByteAt ?? 0);
  return v.now - since >= limits.stallMs;
}
