/**
 * The requests the bench sends, in both forms a Streamable HTTP client may use:
 *
 * - `stateless`: MCP 2026-07-28, one self-contained POST (`_meta` envelope plus the
 *   `MCP-Protocol-Version` / `Mcp-Method` / `Mcp-Name` headers); no session.
 * - `session`: MCP 2025-11-25, `initialize` once, then `Mcp-Session-Id` on every call.
 */
export type HttpForm = 'stateless' | 'session';

export const MODERN = '2026-07-28';
export const LEGACY = '2025-11-25';

const ENVELOPE = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} };

export function callBody(id: number | string, tool: string, args: Record<string, unknown>, form: HttpForm): string {
  const params: Record<string, unknown> = { name: tool, arguments: args };
  if (form === 'stateless') params._meta = ENVELOPE;
  return JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params });
}

export function callHeaders(tool: string, form: HttpForm, sessionId?: string): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (form === 'stateless') {
    h['mcp-protocol-version'] = MODERN;
    h['mcp-method'] = 'tools/call';
    h['mcp-name'] = tool;
  } else {
    h['mcp-protocol-version'] = LEGACY;
    if (sessionId) h['mcp-session-id'] = sessionId;
  }
  return h;
}

export function initializeBody(id: number | string): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'portcullis-bench', version: '1.0.0' } },
  });
}

export const INIT_HEADERS: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** The JSON-RPC message in a response body, whether it came as JSON or as an SSE stream. */
export function messageOf(contentType: string | undefined, body: string): { id?: unknown; result?: { content?: { text?: string }[] }; error?: { message: string } } {
  if (contentType?.startsWith('text/event-stream')) {
    const datas = body
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trim())
      .filter(Boolean);
    for (const d of datas.reverse()) {
      const m = JSON.parse(d) as { id?: unknown };
      if (m.id !== undefined) return m;
    }
    throw new Error(`no response in SSE body: ${body.slice(0, 200)}`);
  }
  return JSON.parse(body);
}

/** Opens a 2025-11-25 session (initialize + notifications/initialized); returns its id. */
export async function openSession(url: string): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: INIT_HEADERS, body: initializeBody(0) });
  const text = await res.text();
  const sid = res.headers.get('mcp-session-id');
  if (!res.ok || !sid) throw new Error(`initialize failed: HTTP ${res.status} ${text.slice(0, 300)}`);
  const msg = messageOf(res.headers.get('content-type') ?? undefined, text);
  if (msg.error) throw new Error(`initialize failed: ${msg.error.message}`);
  const n = await fetch(url, {
    method: 'POST',
    headers: { ...INIT_HEADERS, 'mcp-session-id': sid, 'mcp-protocol-version': LEGACY },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  await n.arrayBuffer();
  return sid;
}

/** One checked call through `fetch`: throws unless the result text has exactly `size` bytes. */
export async function checkBlob(url: string, form: HttpForm, size: number, sessionId?: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: callHeaders('blob', form, sessionId), body: callBody(1, 'blob', { size }, form) });
  const text = await res.text();
  if (!res.ok) throw new Error(`blob ${size}: HTTP ${res.status} ${text.slice(0, 300)}`);
  const msg = messageOf(res.headers.get('content-type') ?? undefined, text);
  const got = msg.result?.content?.[0]?.text?.length;
  if (got !== size) throw new Error(`blob ${size}: got ${got ?? JSON.stringify(msg).slice(0, 300)}`);
}
