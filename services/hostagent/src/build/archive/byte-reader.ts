/**
 * Reads exact byte counts from a stream of chunks, holding at most one chunk
 * plus the bytes asked for: the tar reader walks multi-GiB archives with it.
 */
export class ByteReader {
  private buffered: Buffer = Buffer.alloc(0);
  private done = false;
  /** Bytes consumed so far (the position in the stream). */
  position = 0;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  private async fill(): Promise<boolean> {
    if (this.done) {
      return false;
    }
    const next = await this.source.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    this.buffered = this.buffered.length === 0 ? next.value : Buffer.concat([this.buffered, next.value]);
    return true;
  }

  /** Exactly n bytes, or undefined at a clean end of stream (nothing left). Throws on a short read. */
  async read(n: number): Promise<Buffer | undefined> {
    while (this.buffered.length < n) {
      if (!(await this.fill())) {
        if (this.buffered.length === 0) {
          return undefined;
        }
        throw new Error("unexpected end of data");
      }
    }
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    this.position += n;
    return out;
  }

  /** Passes the next n bytes to onData (in pieces) without keeping them. */
  async skip(n: number, onData?: (piece: Buffer) => void): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.buffered.length === 0 && !(await this.fill())) {
        throw new Error("unexpected end of data");
      }
      const piece = this.buffered.subarray(0, Math.min(left, this.buffered.length));
      this.buffered = this.buffered.subarray(piece.length);
      this.position += piece.length;
      left -= piece.length;
      onData?.(piece);
    }
  }

  /** Reads to the end (so a hash tapped on the source sees every byte). */
  async drain(): Promise<void> {
    this.buffered = Buffer.alloc(0);
    while (await this.fill()) {
      this.position += this.buffered.length;
      this.buffered = Buffer.alloc(0);
    }
  }
}
