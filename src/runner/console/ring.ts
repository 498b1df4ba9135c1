/**
 * A host's console scrollback: the last N bytes the serial port sent, as chunks dropped whole
 * from the front once over the limit (the oldest chunk is cut to the limit, so the ring never
 * holds more). Pure.
 */
export class ConsoleRing {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes ever appended: a viewer's position in the stream. */
  total = 0;

  constructor(readonly limit: number) {}

  append(data: Buffer): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.size += data.length;
    this.total += data.length;
    while (this.size > this.limit) {
      const head = this.chunks[0]!;
      const over = this.size - this.limit;
      if (head.length <= over) {
        this.chunks.shift();
        this.size -= head.length;
      } else {
        this.chunks[0] = head.subarray(over);
        this.size -= over;
      }
    }
  }

  /** Everything held, oldest first. */
  contents(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  get length(): number {
    return this.size;
  }
}
