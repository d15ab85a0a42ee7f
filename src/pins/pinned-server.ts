/**
 * What a PinGuard (pin-guard.ts) is built from: the servers it pins, each with its key in the pin
 * stores, its launch and its origin, and the stores, audit log and clock it works with.
 */
import type { AuditLog } from '../audit/audit-log.ts';
import type { Pinning } from '../config/pinning-schema.ts';
import type { PinStores } from './pin-store.ts';

export interface PinnedServer {
  name: string;
  /** The key in the pin files: the name, or `name@<launch hash>` for an unnamed wrapped server. */
  key: string;
  /** The launch to pin, when launch pinning applies to this server. */
  launch?: Record<string, unknown>;
  /** The server's own origin (HTTP servers; icons there are its own). */
  origin?: string;
  settings: Pinning;
}

export interface PinGuardOptions {
  servers: PinnedServer[];
  stores: PinStores;
  audit: AuditLog;
  log: (line: string) => void;
  clock?: () => Date;
}
