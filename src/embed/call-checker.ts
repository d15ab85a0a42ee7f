/**
 * A decision without the call: "would the gateway let this tool call through, and as what?"
 *
 * For hosts that make the call themselves, later, by other means (an n8n workflow: a Security
 * Check node, then the node that calls the tool). The decision is the embedded guard's
 * (guard.ts), so the same chain as `run` and `wrap` decides — schema, tool policy, argument
 * policy, rate limit, injection and secret inspection, in the order of pipeline/chain.ts — with
 * the same configuration, audit log, alerts and incident state. Nothing is checked here.
 *
 * The guard's one server is an in-process probe (the v1 SDK's in-memory transport): what the
 * chain forwards reaches the probe, which answers with an empty result and keeps the arguments
 * it received (the redacted ones, where inspection redacted). A call that reaches the probe was
 * allowed; a refusal comes back as the gateway's typed error; the audit records the call caused
 * say which rule decided and what inspection found.
 *
 * The probe's tools: the definitions given (`tools`; their `inputSchema` is validated, a name not
 * among them is unknown, so refused), or else every name asked about, each with an open object
 * schema, added as it is first seen (the probe announces `list_changed`; the check waits until
 * the guard has passed it on, so the new list is what the chain routes by).
 *
 * The checker is meant to live as long as the host: rate limits and session flow rules count
 * across checks. Checks run one at a time, so each one's audit records are its own.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, CallToolResultSchema, ListToolsRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { AuditRecord } from '../audit/audit-log.ts';
import type { GatewayErrorCode } from '../errors.ts';
import { Guard, type GuardOptions } from './guard.ts';
import { refusalOf } from './refusal.ts';

export interface ToolDefinition {
  name: string;
  description?: string;
  inputSchema?: Record<string, unknown>;
}

export interface CallCheckerOptions extends GuardOptions {
  /** The server name the calls are checked as (its `mcp.servers`/`mcp.skills` settings apply). @default 'mcp' */
  server?: string;
  /** The server's tool definitions; without them every name asked about is a tool with an open schema. */
  tools?: ToolDefinition[];
  /** Most distinct names remembered without `tools`. @default 1000 */
  maxTools?: number;
  /** How long to wait for the guard to pass on a new tool list. @default 10000 */
  listTimeoutMs?: number;
}

export interface CallFinding {
  rule: string;
  category?: string;
  severity?: string;
  path?: string;
  action?: string;
}

export interface CallDecision {
  decision: 'allow' | 'deny';
  /** The gateway's error code of a refusal (src/errors.ts), e.g. `POLICY_DENIED`, `CONTENT_BLOCKED`, `RATE_LIMITED`. */
  code?: GatewayErrorCode;
  /** The rule that decided (from the audit record), e.g. `toolAccess.defaultPolicy`, `injection.ignore-previous`. */
  rule?: string;
  /** Why, from the audit record (never the refused content). */
  reason?: string;
  /** What inspection found, from the audit records. */
  findings: CallFinding[];
  /** Allowed calls: the arguments as the gateway would forward them (inspection may have redacted). */
  forwardedArguments?: Record<string, unknown>;
  /** The audit records of this check. */
  records: AuditRecord[];
}

const OPEN_SCHEMA = { type: 'object' } as const;
const DETECTOR_RULE = /^(secret|pii|custom|injection)\./;

export class CallChecker {
  readonly guard: Guard;
  readonly server: string;
  private readonly client: Client;
  private readonly probe: Server;
  private readonly declared: boolean;
  private readonly tools = new Map<string, ToolDefinition>();
  private readonly maxTools: number;
  private readonly listTimeoutMs: number;
  private listChanged?: () => void;
  private forwarded?: Record<string, unknown>;
  private capture?: AuditRecord[];
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(guard: Guard, client: Client, probe: Server, opts: CallCheckerOptions) {
    this.guard = guard;
    this.client = client;
    this.probe = probe;
    this.server = opts.server ?? 'mcp';
    this.declared = Boolean(opts.tools);
    for (const t of opts.tools ?? []) this.tools.set(t.name, t);
    this.maxTools = opts.maxTools ?? 1000;
    this.listTimeoutMs = opts.listTimeoutMs ?? 10_000;
    guard.on('audit', (rec) => this.capture?.push(rec));
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => this.listChanged?.());
  }

  static async fromConfig(file: string, opts: CallCheckerOptions = {}): Promise<CallChecker> {
    const server = opts.server ?? 'mcp';
    const guard = await Guard.fromConfig(file, { ...opts, servers: [...(opts.servers ?? []), server] });
    try {
      const probe = new Server({ name: `portcullis-check-${server}`, version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
      const client = new Client({ name: 'portcullis-call-checker', version: '1.0.0' }, { capabilities: {} });
      const checker = new CallChecker(guard, client, probe, { ...opts, server });
      probe.setRequestHandler(ListToolsRequestSchema, () => ({
        tools: [...checker.tools.values()].map((t) => ({ name: t.name, ...(t.description !== undefined && { description: t.description }), inputSchema: t.inputSchema ?? OPEN_SCHEMA })),
      }));
      probe.setRequestHandler(CallToolRequestSchema, (req) => {
        checker.forwarded = req.params.arguments ?? {};
        return { content: [] };
      });
      const [a, b] = InMemoryTransport.createLinkedPair();
      await probe.connect(b);
      await client.connect(a);
      guard.wrap(client, { server });
      // One round trip through the guard: the session is initialized and the probe attached as
      // the server's upstream, so its list_changed notifications are passed on from now on.
      await client.listTools();
      return checker;
    } catch (err) {
      await guard.close();
      throw err;
    }
  }

  /** Decides one `tools/call`. Throws only when the check itself could not run (never for a refusal). */
  check(call: { name: unknown; arguments?: unknown }): Promise<CallDecision> {
    const run = this.queue.then(() => this.checkNow(call));
    this.queue = run.catch(() => {});
    return run;
  }

  private async checkNow(call: { name: unknown; arguments?: unknown }): Promise<CallDecision> {
    // A call that is not well-formed (no name, arguments not an object) goes to the chain as it
    // is: refusing it is the schema stage's job.
    if (typeof call.name === 'string' && call.name && !this.declared && !this.tools.has(call.name)) await this.learn(call.name);
    const records: AuditRecord[] = [];
    this.capture = records;
    this.forwarded = undefined;
    let refused: ReturnType<typeof refusalOf>;
    try {
      await this.client.request({ method: 'tools/call', params: { name: call.name as string, arguments: call.arguments as Record<string, unknown> } }, CallToolResultSchema);
    } catch (err) {
      refused = refusalOf(err);
      if (!refused) throw err;
    } finally {
      // The call's own record is written once its answer is final: after the answer has left.
      await new Promise((r) => setImmediate(r));
      this.capture = undefined;
    }
    const mine = records.filter((r) => r.tool === undefined || r.tool === call.name);
    const deciding = mine.find((r) => r.decision === 'deny') ?? mine.find((r) => r.event === 'tool_invoked') ?? mine[0];
    const findings = mine.flatMap((r) => (Array.isArray(r.detail?.findings) ? (r.detail.findings as CallFinding[]) : []));
    // A secret or PII that blocks has no finding record of its own (report-findings.ts): the
    // call's record names it, as rule and "<dir> blocked: <rule> at <path>".
    const own = deciding?.rule && DETECTOR_RULE.exec(deciding.rule);
    if (refused && own && !findings.some((f) => f.rule === deciding.rule)) {
      findings.push({ rule: deciding.rule!, category: own[1], path: / at (\/\S*)$/.exec(deciding.reason ?? '')?.[1], action: 'block' });
    }
    if (refused) {
      return { decision: 'deny', code: refused.code, rule: deciding?.rule, reason: deciding?.reason ?? refused.message, findings, records: mine };
    }
    return { decision: 'allow', ...(deciding?.rule && { rule: deciding.rule }), ...(deciding?.reason && { reason: deciding.reason }), findings, forwardedArguments: this.forwarded, records: mine };
  }

  /** A name never seen: the probe lists it from now on; returns once the guard has the new list. */
  private async learn(name: string): Promise<void> {
    if (this.tools.size >= this.maxTools) throw new RangeError(`check: more than ${this.maxTools} distinct tool names; pass the server's tool definitions (tools) instead`);
    this.tools.set(name, { name });
    let timer: NodeJS.Timeout | undefined;
    const passedOn = new Promise<void>((resolve, reject) => {
      this.listChanged = resolve;
      timer = setTimeout(() => reject(new Error(`check: the guard did not pass on the new tool list within ${this.listTimeoutMs} ms`)), this.listTimeoutMs);
    });
    try {
      await this.probe.sendToolListChanged();
      await passedOn;
    } finally {
      clearTimeout(timer);
      this.listChanged = undefined;
    }
  }

  async close(): Promise<void> {
    await this.guard.close();
    await this.client.close().catch(() => {});
    await this.probe.close().catch(() => {});
  }
}

