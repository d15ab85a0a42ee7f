/**
 * What a Security Check item asks for: a `tools/call` taken from an MCP message in the item (the
 * seed's node: `item.json` is the message), or from a tool name and arguments. Only the shape is
 * read here; whether the message is valid MCP is the gateway's schema stage's to say.
 */
export type CallRequest =
  | { kind: 'call'; name: unknown; arguments: unknown }
  | { kind: 'other'; method: string };

/** Reads a dot path (`body.message`); an empty path is the value itself. */
export function atPath(value: unknown, path: string): unknown {
  if (!path.trim()) return value;
  let v = value;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, k)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

export function callFromMessage(message: unknown): CallRequest {
  const m = (message ?? {}) as { method?: unknown; params?: { name?: unknown; arguments?: unknown } };
  const method = typeof m.method === 'string' ? m.method : undefined;
  if (method !== undefined && method !== 'tools/call') return { kind: 'other', method };
  // No method at all is taken as a call: the gateway's schema stage refuses what is not one.
  return { kind: 'call', name: m.params?.name, arguments: m.params?.arguments };
}

/** Arguments given as JSON text (an expression like `{{ JSON.stringify($json.args) }}`) or as an object. */
export function argumentsOf(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? {};
  if (!value.trim()) return {};
  try {
    return JSON.parse(value);
  } catch {
    throw new Error('Tool Arguments: not valid JSON; give an object, or JSON text of one');
  }
}
