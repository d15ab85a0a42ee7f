/**
 * Splits a byte stream into newline-delimited messages with a hard cap per line, so a server that
 * never writes a newline cannot grow the gateway's memory. Bytes of an oversized line are
 * discarded up to its newline and reported once. With `runaway`, a line still growing past
 * `runaway.maxBytes` is reported once more, while it is still being written, so the owner can
 * stop a writer that would otherwise keep it draining bytes forever.
 */
export class LineSplitter {
  private chunks: Buffer[] = [];
  private pending = 0;
  private discarding = false;
  private readonly maxBytes: number;
  private readonly onLine: (line: Buffer) => void;
  private readonly onOversize: (bytes: number, tail: Buffer, head: Buffer) => void;
  /** The first bytes of a discarded line: whether it began as a response, and where its id may be. */
  private head: Buffer = Buffer.alloc(0);
  /** The last bytes of a discarded line: where a JSON-RPC serializer usually puts the `id`. */
  private tail: Buffer = Buffer.alloc(0);
  private readonly edges: { head: number; tail: number };
  private readonly runaway?: { maxBytes: number; onRunaway: (bytes: number, tail: Buffer, head: Buffer) => void };
  private runawayReported = false;

  constructor(
    maxBytes: number,
    onLine: (line: Buffer) => void,
    onOversize: (bytes: number, tail: Buffer, head: Buffer) => void,
    runaway?: { maxBytes: number; onRunaway: (bytes: number, tail: Buffer, head: Buffer) => void },
    edges: { head: number; tail: number } = { head: 64, tail: 128 },
  ) {
    this.maxBytes = maxBytes;
    this.edges = edges;
    this.onLine = onLine;
    this.onOversize = onOversize;
    this.runaway = runaway;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) {
        this.append(chunk.subarray(start));
        return;
      }
      if (this.pending === 0 && !this.discarding && nl - start <= this.maxBytes) {
        // A whole line inside this chunk with nothing held before it (most lines): it is handed
        // over as a view of the chunk, without going through the parts array.
        this.emit(chunk.subarray(start, nl));
      } else {
        this.append(chunk.subarray(start, nl));
        this.endLine();
      }
      start = nl + 1;
    }
  }

  private append(part: Buffer): void {
    if (part.length === 0) return;
    if (this.discarding) {
      this.pending += part.length;
      this.keepTail(part);
      if (this.runaway && !this.runawayReported && this.pending > this.runaway.maxBytes) {
        this.runawayReported = true;
        this.runaway.onRunaway(this.pending, this.tail, this.head);
      }
      return;
    }
    if (this.pending + part.length > this.maxBytes) {
      this.discarding = true;
      this.head = Buffer.from(Buffer.concat([...this.chunks, part.subarray(0, this.edges.head)]).subarray(0, this.edges.head));
      for (const c of this.chunks) this.keepTail(c);
      this.chunks = [];
      this.pending += part.length;
      this.keepTail(part);
      return;
    }
    this.chunks.push(part);
    this.pending += part.length;
  }

  private keepTail(part: Buffer): void {
    const n = this.edges.tail;
    const t = Buffer.concat([this.tail, part.subarray(Math.max(0, part.length - n))]);
    this.tail = t.subarray(Math.max(0, t.length - n));
  }

  private endLine(): void {
    if (this.discarding && this.runawayReported) {
      this.runawayReported = false;
      this.tail = Buffer.alloc(0);
      this.head = Buffer.alloc(0);
    } else if (this.discarding) {
      this.onOversize(this.pending, this.tail, this.head);
      this.tail = Buffer.alloc(0);
      this.head = Buffer.alloc(0);
    } else if (this.pending > 0) {
      this.emit(this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.pending));
    }
    this.chunks.length = 0; // the line handed over is its own Buffer: the array is reused
    this.pending = 0;
    this.discarding = false;
  }

  /** One line, without its CR (CRLF framing); an empty line is skipped. */
  private emit(line: Buffer): void {
    const end = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
    if (end > 0) this.onLine(end === line.length ? line : line.subarray(0, end));
  }
}
