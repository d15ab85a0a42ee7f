/**
 * The run-time state of argument-level policy in one gateway: the quota store (SQLite under
 * `mcp.state.dir`, opened only when some rule has `conditions`; Redis with `mcp.state.url`), the
 * session taint of flow rules, and the DNS resolver of the private-address guard.
 */
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load.ts';
import type { Security } from '../config/schema.ts';
import { MemoryQuotaStore, type QuotaStore } from '../state/quota-store.ts';
import { SqliteQuotaStore } from '../state/sqlite-quota-store.ts';
import { FlowTracker, type FlowStore } from './flow-rules.ts';
import { dnsResolver, type Resolver } from './url-constraint.ts';

export const QUOTA_FILE = 'quotas.db';

/** `mcp.state.dir` (the directory for state that survives a restart), default `./portcullis-state`. */
export function stateDir(loaded: LoadedConfig): string {
  return (loaded.config.mcp as { state?: { dir?: string } }).state?.dir ?? './portcullis-state';
}

function usesQuotas(sec: Security): boolean {
  return sec.toolAccess.allowedTools.some((r) => typeof r !== 'string' && (r.conditions?.length ?? 0) > 0);
}

export class PolicyRuntime {
  readonly flows: FlowStore;
  private readonly loaded: LoadedConfig;
  private quotaStore?: QuotaStore;
  private readonly resolvers = new Map<number, Resolver>();

  /** `quotas` and `flows` given: shared stores (state/shared-stores.ts); otherwise this process's. */
  constructor(loaded: LoadedConfig, opts: { quotas?: QuotaStore; flows?: FlowStore } = {}) {
    this.loaded = loaded;
    this.quotaStore = opts.quotas;
    this.flows = opts.flows ?? new FlowTracker({ ttlMs: loaded.config.mcp.timeouts.sessionIdleSeconds * 1000 });
    // Opened at start so a state directory that cannot be written fails the start, not a call.
    if (!this.quotaStore && [loaded.config.mcp.security, ...loaded.servers.map((s) => s.effective)].some(usesQuotas)) {
      const path = join(stateDir(loaded), QUOTA_FILE);
      try {
        this.quotaStore = new SqliteQuotaStore({ path });
      } catch (err) {
        throw new Error(`cannot open the quota store ${path}: ${(err as Error).message}\nfix: make mcp.state.dir a writable directory (quotas must survive a restart)`);
      }
    }
  }

  get quotas(): QuotaStore {
    // No rule has conditions, so nothing is ever counted; an empty store answers the interface.
    return (this.quotaStore ??= new MemoryQuotaStore());
  }

  resolver(timeoutMs: number): Resolver {
    let r = this.resolvers.get(timeoutMs);
    if (!r) this.resolvers.set(timeoutMs, (r = dnsResolver(timeoutMs)));
    return r;
  }

  async close(): Promise<void> {
    await this.quotaStore?.close();
  }
}
