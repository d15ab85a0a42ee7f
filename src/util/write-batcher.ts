/**
 * Coalescing writes to a pipe. Under load many messages are ready in the same tick (one read
 * chunk carries many requests; many answers complete together); writing each on its own costs a
 * syscall apiece, which dominated the stdio profile. Corking the stream for the rest of the tick
 * turns them into one writev. Nothing waits longer than the current tick.
 */
export class WriteBatcher {
  private corked = false;
  private readonly stream: NodeJS.WritableStream & { cork(): void; uncork(): void };

  constructor(stream: NodeJS.WritableStream) {
    this.stream = stream as NodeJS.WritableStream & { cork(): void; uncork(): void };
  }

  /** One function for every tick's uncork, not a closure per batch. */
  private readonly uncork = (): void => {
    this.corked = false;
    this.stream.uncork();
  };

  write(chunk: string | Buffer): void {
    if (!this.corked && typeof this.stream.cork === 'function') {
      this.corked = true;
      this.stream.cork();
      process.nextTick(this.uncork);
    }
    this.stream.write(chunk);
  }
}
