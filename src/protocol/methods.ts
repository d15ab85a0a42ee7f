/**
 * Every MCP request method a revision defines, in either direction: what
 * `validation.allowedMethods` may name. Notifications are not requests (no answer can carry a
 * refusal) and are not listed. A unit test keeps this list equal to the SDKs' registries
 * (v1 `ClientRequestSchema`/`ServerRequestSchema`, v2 core for 2026-07-28), so a method a new
 * revision adds cannot be missing here unnoticed.
 */

/** Client to server. */
export const CLIENT_REQUEST_METHODS = [
  'initialize',
  'ping',
  'server/discover',
  'tools/list',
  'tools/call',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'subscriptions/listen',
  'completion/complete',
  'logging/setLevel',
  'tasks/get',
  'tasks/result',
  'tasks/list',
  'tasks/cancel',
] as const;

/** Server to client (`tasks/*` exist in both directions in 2025-11-25). */
export const SERVER_REQUEST_METHODS = ['ping', 'sampling/createMessage', 'elicitation/create', 'roots/list', 'tasks/get', 'tasks/result', 'tasks/list', 'tasks/cancel'] as const;

export const REQUEST_METHODS = [...new Set<string>([...CLIENT_REQUEST_METHODS, ...SERVER_REQUEST_METHODS])] as unknown as readonly [string, ...string[]];

/**
 * The lifecycle: without `initialize` (stateful revisions) or `server/discover` (2026-07-28) no
 * session starts, and `ping` must always be answered (spec, basic/utilities/ping). An allowlist
 * cannot refuse them.
 */
export const ALWAYS_ALLOWED_METHODS: ReadonlySet<string> = new Set(['initialize', 'ping', 'server/discover']);
