/**
 * Splits a byte stream into newline-delimited messages with a hard cap per line, so a server that
 * never writes a newline cannot grow the gateway's memory. Bytes of an oversized line are
 * discarded up to its newline and reported once.
 */
export class LineSplitter {
  private chunks: Buffer[] = [];
  private pending = 0;
  private discarding = false;
  private readonly maxBytes: number;
  private readonly onLine: (line: Buffer) => void;
  private readonly onOversize: (bytes: number) => void;

  constructor(maxBytes: number, onLine: (line: Buffer) => void, onOversize: (bytes: number) => void) {
    this.maxBytes = maxBytes;
    this.onLine = onLine;
    this.onOversize = onOversize;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) {
        this.append(chunk.subarray(start));
        return;
      }
      this.append(chunk.subarray(start, nl));
      this.endLine();
      start = nl + 1;
    }
  }

  private append(part: Buffer): void {
    if (part.length === 0) return;
    if (this.discarding) {
      this.pending += part.length;
      return;
    }
    if (this.pending + part.length > this.maxBytes) {
      this.discarding = true;
      this.chunks = [];
      this.pending += part.length;
      return;
    }
    this.chunks.push(part);
    this.pending += part.length;
  }

  private endLine(): void {
    if (this.discarding) {
      this.onOversize(this.pending);
    } else if (this.pending > 0) {
      let line = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.pending);
      if (line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      if (line.length > 0) this.onLine(line);
    }
    this.chunks = [];
    this.pending = 0;
    this.discarding = false;
  }
}
