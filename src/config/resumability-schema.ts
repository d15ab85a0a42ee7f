/**
 * `mcp.listen.resumability`: SSE resumability toward clients on 2025-11-25 sessions (SEP-1699;
 * src/transports/session-streams.ts). Part of the configuration schema, the single source of truth.
 * 2026-07-28 removed resumability: its answers never carry event ids.
 */
import { z } from 'zod';

export const resumabilitySchema = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe('2025-11-25 sessions: an answer the client accepts as `text/event-stream` is an SSE stream with event ids and a priming event, resumable with `Last-Event-ID`. Off: JSON answers, no ids.'),
  retryMs: z.number().int().min(0).max(600_000).default(1000).describe('The SSE `retry` sent to clients: how long they wait before reconnecting.'),
  maxEvents: z.number().int().positive().max(100_000).default(1000).describe('Events one session keeps for replay; the oldest go first.'),
  maxBytes: z.number().int().positive().max(268_435_456).default(4_194_304).describe('Bytes one session keeps for replay; the oldest events go first. A larger event is not kept (its stream cannot be resumed across it).'),
  ttlSeconds: z
    .number()
    .positive()
    .max(3600)
    .default(120)
    .describe('How long a stream whose client went away is kept, its call still running, for the client to resume; then the call is cancelled.'),
});

export type Resumability = z.infer<typeof resumabilitySchema>;
