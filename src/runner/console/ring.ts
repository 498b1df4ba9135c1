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

/** The last `n` lines of console bytes (a partial last line counts), as the bytes that hold them. */
export function lastLines(data: Buffer, n: number): Buffer {
  if (n <= 0) return Buffer.alloc(0);
  let end = data.length;
  // A trailing newline ends the last line rather than starting an empty one.
  if (end > 0 && data[end - 1] === 0x0a) end--;
  let seen = 0;
  for (let i = end - 1; i >= 0; i--) {
    if (data[i] === 0x0a && ++seen === n) return data.subarray(i + 1);
  }
  return data;
}
