/**
 * The gateway's requests to one server that wait for their answer, by the gateway's own id. Each
 * has its timer; whatever ends a request (its answer, a failure, the server going down) clears it.
 */
import type { GatewayError } from '../errors.ts';
import type { UpstreamResponse } from './upstream.ts';

interface Pending {
  resolve: (r: UpstreamResponse) => void;
  reject: (e: GatewayError) => void;
  timer: NodeJS.Timeout;
  method: string;
}

export class PendingRequests {
  private readonly map = new Map<number, Pending>();

  get size(): number {
    return this.map.size;
  }

  has(id: number): boolean {
    return this.map.has(id);
  }

  keys(): IterableIterator<number> {
    return this.map.keys();
  }

  add(id: number, p: Pending): void {
    this.map.set(id, p);
  }

  /** Forget a request without settling it (its timer already fired, or its send failed). */
  drop(id: number): boolean {
    const p = this.map.get(id);
    if (p) clearTimeout(p.timer);
    return this.map.delete(id);
  }

  /** Settle request `id` with its answer; false when nothing waits for it (late, cancelled). */
  resolve(id: number, r: UpstreamResponse): boolean {
    const p = this.take(id);
    p?.resolve(r);
    return p !== undefined;
  }

  /** Fail request `id` now, if it still waits. */
  fail(id: number | undefined, err: GatewayError): void {
    if (id !== undefined) this.take(id)?.reject(err);
  }

  /** Fail every request that waits (the server went down, was isolated, the gateway stops). */
  failAll(err: GatewayError): void {
    for (const id of [...this.map.keys()]) this.fail(id, err);
  }

  private take(id: number): Pending | undefined {
    const p = this.map.get(id);
    if (!p) return undefined;
    this.map.delete(id);
    clearTimeout(p.timer);
    return p;
  }
}
