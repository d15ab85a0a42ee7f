/**
 * Raw Streamable HTTP for the wire-level e2e tests: a POST with the headers a client sends, its
 * reply (status, headers, text, and JSON when it is JSON), and the `data:` payloads of an SSE body.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies of any JSON shape
type Json = Record<string, any>;

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json?: Json;
}

export async function post(url: string, body: Json | string, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Json | undefined;
  if ((res.headers.get('content-type') ?? '').startsWith('application/json') && text) json = JSON.parse(text) as Json;
  return { status: res.status, headers: res.headers, text, json };
}

/** Every `data:` payload of an SSE body, parsed. */
export function sseMessages(text: string): Json[] {
  return text
    .split(/\r?\n\r?\n/)
    .map((ev) =>
      ev
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n'),
    )
    .filter(Boolean)
    .map((d) => JSON.parse(d) as Json);
}
