/**
 * One configured server as the gateway runs it: its upstream connection (stdio, sandboxed or not,
 * or Streamable HTTP), the catalog of what it lists (pinned and scanned), and its access policies.
 */
import type { ResolvedServer } from '../config/load.ts';
import { GatewayError } from '../errors.ts';
import { NamePolicy, ToolPolicy } from '../policy/tool-policy.ts';
import { HttpTransport } from '../upstream/http-transport.ts';
import { httpUpstreamOptions } from '../upstream/http-upstream-options.ts';
import { scrubbedEnv, StdioTransport } from '../upstream/stdio-transport.ts';
import { Upstream } from '../upstream/upstream.ts';
import { Catalog } from './catalog.ts';
import type { Gateway } from './gateway.ts';
import { onServerNotification, onServerRequest } from './server-traffic.ts';

/** A sandboxed server that cannot answer a ping this long after a timed-out call is killed. */
const UNRESPONSIVE_KILL_MS = 5000;

export interface ServerRuntime {
  server: ResolvedServer;
  upstream: Upstream;
  catalog: Catalog;
  tools: ToolPolicy;
  prompts: NamePolicy;
  resources: NamePolicy;
}

/**
 * `rt` when a request can use it at once: started and initialized, not disabled by the operator,
 * and nothing for the pins to judge (PinGuard.settled). `Gateway.ready` answers at once then
 * (every call's case: five awaits spared), and otherwise waits in `becomeReady`.
 */
export function readyNow(gw: Gateway, rt: ServerRuntime): ServerRuntime | undefined {
  const init = rt.upstream.state === 'ready' ? rt.upstream.init : undefined;
  if (!init || gw.incident.isServerDisabled(rt.server.name)) return undefined;
  return !gw.pins || gw.pins.settled(rt.server.name, init) ? rt : undefined;
}

/** Starts `rt` if it must, after the launch pin; reviews what the server says of itself. */
export async function becomeReady(gw: Gateway, rt: ServerRuntime): Promise<ServerRuntime> {
  // An isolated server (`portcullis server disable`) is neither listed nor called, nor restarted.
  if (gw.incident.isServerDisabled(rt.server.name)) {
    throw new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${rt.server.name}' is unavailable`, { detail: 'disabled by the operator' });
  }
  // A server whose launch (command, args, env names) changed since it was pinned is not started:
  // starting it is the attack (MCPoison). It stays stopped until `portcullis pins approve`.
  const launch = await gw.pins?.checkLaunch(rt.server.name);
  if (launch) throw new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${rt.server.name}' is unavailable`, { detail: `launch ${launch.state}: not started until an operator approves it (portcullis pins)` });
  const init = await rt.upstream.ensureReady(gw.upstreamInitParams(), gw.config.mcp.timeouts.connectSeconds * 1000);
  await gw.pins?.reviewInit(rt.server.name, init); // what the server says of itself: pinned before any client sees it
  return rt;
}

export function buildServerRuntime(gw: Gateway, server: ResolvedServer): ServerRuntime {
  const sandboxed = Boolean(server.command) && server.effective.sandbox.enabled;
  const upstream = new Upstream(server.name, () => makeTransport(gw, server), {
    maxMessageBytes: server.effective.validation.maxContextSize,
    killUnresponsiveMs: sandboxed ? UNRESPONSIVE_KILL_MS : undefined,
    // `revision: session`: no server/discover probe, always the initialize session (negotiate.ts).
    // The embedded guard speaks through its host's SDK client, whose session already exists.
    sessionOnly: server.revision === 'session' || gw.upstreamTransport !== undefined,
    events: {
      onServerRequest: (up, msg) => onServerRequest(gw, up, msg),
      onNotification: (up, msg) => onServerNotification(gw, up, msg),
      onDown: (up, reason) => onServerDown(gw, up, reason),
      onKilled: (up, reason) => {
        gw.log(`server '${up.name}': ${reason}`);
        gw.audit.emit({ event: 'sandbox_killed', server: up.name, decision: 'deny', reason });
      },
      onCrashLoop: (up, failures, lastError) => {
        gw.log(`server '${up.name}' is crash-looping (${failures} consecutive failures, last: ${lastError}); marked unhealthy`);
        gw.audit.emit({ event: 'sandbox_crash_loop', server: up.name, decision: 'error', reason: lastError, detail: { failures, sandboxed } });
      },
      onProtocolError: (up, err) => {
        gw.log(`server '${up.name}': ${err.message}${err.detail ? ` (${err.detail})` : ''}`);
        gw.audit.emit({ event: 'upstream_error', server: up.name, decision: 'error', reason: err.detail ?? err.message, code: err.code });
      },
    },
  });
  const e = server.effective;
  return {
    server,
    upstream,
    catalog: new Catalog(upstream, gw.timeoutMs(server), (kind, items) => gw.pins?.review(server.name, kind, items)),
    tools: new ToolPolicy(e.toolAccess),
    prompts: new NamePolicy('prompt', e.promptAccess),
    resources: new NamePolicy('resource', e.resourceAccess),
  };
}

function makeTransport(gw: Gateway, s: ResolvedServer) {
  if (gw.upstreamTransport) return gw.upstreamTransport(s);
  const maxMessageBytes = s.effective.validation.maxContextSize;
  if (s.url) {
    return new HttpTransport(httpUpstreamOptions(s, { audit: gw.audit, log: gw.log, connectTimeoutMs: gw.config.mcp.timeouts.connectSeconds * 1000 }));
  }
  // run: a scrubbed environment plus the configured one; wrap: the client started us with the
  // environment it meant for the server (API keys in its config), so it is passed on.
  const env = gw.mode === 'wrap' ? { ...process.env, ...s.env } : scrubbedEnv(s.env);
  const sb = s.effective.sandbox;
  return new StdioTransport({
    command: s.command!,
    args: s.args,
    env,
    cwd: s.cwd,
    maxMessageBytes,
    onStderr: (line) => gw.log(`[${s.name}] ${line}`),
    ...(sb.enabled && {
      launch: () => gw.sandbox.launch({ server: { name: s.name, command: s.command!, args: s.args, env: s.env, cwd: s.cwd }, settings: sb }),
      maxOutputBytes: Math.max(sb.maxOutputBytes, maxMessageBytes),
    }),
  });
}

function onServerDown(gw: Gateway, up: Upstream, reason: string): void {
  gw.servers.get(up.name)?.catalog.invalidate();
  gw.log(`server '${up.name}' went down: ${reason}`);
  gw.audit.emit({ event: 'upstream_error', server: up.name, decision: 'error', reason });
}
