/**
 * `mcp.security.rateLimiting`: token buckets, each keyed by something else.
 *
 * The top-level numbers are the seed's (`requestsPerMinute`, `burstSize`, `cooldownSeconds`): one
 * bucket per session and tool, on by default. It needs no identity (stdio and anonymous callers
 * have none worth keying on) and one noisy session cannot spend anyone else's budget. Its limit:
 * a caller multiplies its budget by opening sessions or spreading calls over tools. The keyed
 * buckets below close that where callers are identified: per principal (the seed's "per agent"),
 * per principal and tool, and per server (protecting the upstream, across every caller). Each is
 * off until configured; all that are configured apply, and a call must get a token from each.
 */
import { z } from 'zod';

const bucketSchema = z.strictObject({
  requestsPerMinute: z.number().positive().describe('Bucket refill rate, tokens per minute.'),
  burstSize: z.number().int().positive().describe('Bucket capacity.'),
  cooldownSeconds: z.number().min(0).optional().describe('Once the bucket is empty, calls are refused for this long; default: `rateLimiting.cooldownSeconds`.'),
});
export type KeyedBucketConfig = z.infer<typeof bucketSchema>;

export const rateLimitingSchema = z.strictObject({
  enabled: z.boolean().default(true),
  requestsPerMinute: z.number().positive().default(60).describe('Per session and tool: bucket refill rate, tokens per minute.'),
  burstSize: z.number().int().positive().default(20).describe('Per session and tool: bucket capacity.'),
  cooldownSeconds: z.number().min(0).default(60).describe('Once a bucket is empty, calls are refused for this long.'),
  perPrincipal: bucketSchema
    .optional()
    .describe('One bucket per principal (the authenticated subject; an anonymous caller is keyed by its network address), across its sessions and tools: the seed\'s "per agent". Off unless set.'),
  perPrincipalTool: bucketSchema.optional().describe('One bucket per principal and tool (or prompt/resource), across its sessions. Off unless set.'),
  perServer: bucketSchema.optional().describe('One bucket per server, shared by every caller: what the upstream can take. Off unless set.'),
});
