/**
 * Which pieces of one asset a peer holds: one bit per piece, most significant bit first in each
 * byte, as BitTorrent's `bitfield` message (BEP 3). Fixed length (the asset's piece count), so a
 * peer's claims are bounded by the manifest, never by what it sends.
 */
export class Bitfield {
  private readonly bytes: Uint8Array;
  private set = 0;

  constructor(readonly length: number) {
    this.bytes = new Uint8Array(Math.ceil(length / 8));
  }

  /** All `length` pieces held (a complete holder). */
  static full(length: number): Bitfield {
    const b = new Bitfield(length);
    for (let i = 0; i < length; i++) b.add(i);
    return b;
  }

  /**
   * Decodes the wire form (`toBytes`) for an asset of `length` pieces; null when its size is not
   * ⌈length/8⌉ bytes or a spare bit past the end is set (BEP 3: "spare bits at the end are set to
   * zero; clients should drop the connection if any are set").
   */
  static fromBytes(length: number, bytes: Uint8Array): Bitfield | null {
    if (bytes.length !== Math.ceil(length / 8)) return null;
    const b = new Bitfield(length);
    for (let i = 0; i < bytes.length * 8; i++) {
      if (((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1) {
        if (i >= length) return null;
        b.add(i);
      }
    }
    return b;
  }

  get count(): number {
    return this.set;
  }

  get complete(): boolean {
    return this.set === this.length;
  }

  has(index: number): boolean {
    return index >= 0 && index < this.length && (((this.bytes[index >> 3] ?? 0) >> (7 - (index & 7))) & 1) === 1;
  }

  /** True when the bit was not set before (an index out of range is ignored: false). */
  add(index: number): boolean {
    if (!Number.isInteger(index) || index < 0 || index >= this.length || this.has(index)) return false;
    this.bytes[index >> 3] = (this.bytes[index >> 3] ?? 0) | (1 << (7 - (index & 7)));
    this.set++;
    return true;
  }

  /** The wire form: a copy of the bytes. */
  toBytes(): Uint8Array {
    return this.bytes.slice();
  }
}
