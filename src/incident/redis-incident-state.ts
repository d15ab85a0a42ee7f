/**
 * The incident state (lockdown, revocations, disabled servers) in Redis, shared by every replica
 * (`mcp.state.url`): one document changed by compare-and-set and published to every replica
 * (state/redis-document.ts), so a lockdown reaches all of them well within a second.
 *
 * Fail closed: while Redis is away (and until the first read succeeds) `current` throws
 * `STATE_UNAVAILABLE`, so the checks refuse calls instead of serving a copy that may be missing
 * a lockdown or a revocation made meanwhile. On reconnection the state is read again first.
 */
import { RedisDocument } from '../state/redis-document.ts';
import type { RedisConnection } from '../state/redis-connection.ts';
import { EMPTY_STATE, mutateIncident, parseIncident, type IncidentData, type IncidentStore } from './incident-state.ts';

export class RedisIncidentState extends RedisDocument<IncidentData> implements IncidentStore {
  constructor(conn: RedisConnection, opts: { resyncMs?: number } = {}) {
    super(conn, { name: 'incident', what: 'incident state', empty: () => structuredClone(EMPTY_STATE), parse: parseIncident, resyncMs: opts.resyncMs });
  }

  update(mutate: (s: IncidentData) => void): Promise<{ before: IncidentData; after: IncidentData }> {
    return this.change((before) => mutateIncident(before, mutate));
  }
}
