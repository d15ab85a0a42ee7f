/**
 * Progress tokens across shared servers. Two clients may both use progress token 1; the server
 * must see distinct tokens, and each notification must reach only the client that asked.
 */
import type { JsonRpcId } from '../protocol/envelope.ts';
import type { Session } from './session.ts';

interface Entry {
  session: Session;
  token: string | number;
  related: JsonRpcId;
}

export class ProgressRouter {
  private readonly map = new Map<string, Entry>();
  private next = 1;

  register(session: Session, token: string | number, related: JsonRpcId): string {
    const gw = `pc-${this.next++}`;
    this.map.set(gw, { session, token, related });
    return gw;
  }

  release(gwToken: string): void {
    this.map.delete(gwToken);
  }

  lookup(gwToken: unknown): Entry | undefined {
    return typeof gwToken === 'string' ? this.map.get(gwToken) : undefined;
  }

  get size(): number {
    return this.map.size;
  }
}
