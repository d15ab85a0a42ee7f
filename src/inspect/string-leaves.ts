/**
 * A message's strings, found once: every string leaf with its JSON pointer (RFC 6901) and the
 * place to write a changed value back. Inspection reads each leaf once with every detector and
 * writes back only the leaves that change (on a copy, see `cloneAlong`).
 *
 * Left out, on purpose: the root `_meta` when asked (`skipRootMeta`: a server request's protocol
 * metadata; a result's root `_meta` reaches the client and is read), the base64 `data` of image
 * and audio blocks and `blob` of binary resources (binary, not text the model reads as words;
 * scanning base64 for token shapes only makes noise). A `blob` whose
 * `mimeType` is text (text/*, JSON, XML, YAML, JavaScript) is decoded and read like `text`: a
 * client shows it to the model as text, so an attacker could otherwise hide there.
 */
export interface Leaf {
  /** JSON pointer from the scanned root. */
  path: string;
  /** The keys from the root to the leaf. */
  keys: Array<string | number>;
  text: string;
  /** A `text` field of a content block or resource: what output sanitization applies to. */
  isText: boolean;
  /** The leaf is a base64 `blob` decoded for reading: a changed value is encoded again. */
  base64?: boolean;
}

const TEXT_MIME = /^(?:text\/|application\/(?:json|xml|yaml|x-yaml|javascript|ld\+json)\b|[^;]*\+(?:json|xml)\b)/i;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function textBlob(o: Record<string, unknown>): string | undefined {
  if (typeof o.blob !== 'string' || typeof o.mimeType !== 'string' || !TEXT_MIME.test(o.mimeType)) return undefined;
  try {
    return UTF8.decode(Buffer.from(o.blob, 'base64'));
  } catch {
    return undefined; // not UTF-8 after all: binary, left alone like other blobs
  }
}

const escape = (k: string | number) => String(k).replace(/~/g, '~0').replace(/\//g, '~1');

export function collectLeaves(root: unknown, base = '', opts: { skipRootMeta?: boolean } = {}): Leaf[] {
  const out: Leaf[] = [];
  const stack: Array<{ v: unknown; keys: Array<string | number>; path: string }> = [{ v: root, keys: [], path: base }];
  while (stack.length) {
    const { v, keys, path } = stack.pop()!;
    if (typeof v === 'string') {
      out.push({ path, keys, text: v, isText: keys[keys.length - 1] === 'text' });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], keys: [...keys, i], path: `${path}/${i}` });
    } else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const binary = o.type === 'image' || o.type === 'audio';
      const blobText = textBlob(o);
      if (blobText !== undefined) out.push({ path: `${path}/blob`, keys: [...keys, 'blob'], text: blobText, isText: true, base64: true });
      for (const k of Object.keys(o).reverse()) {
        if (opts.skipRootMeta && keys.length === 0 && k === '_meta') continue;
        if ((binary && k === 'data') || k === 'blob') continue;
        stack.push({ v: o[k], keys: [...keys, k], path: `${path}/${escape(k)}` });
      }
    }
  }
  return out;
}

/**
 * Writes new values for some leaves into a copy of `root`: only the objects and arrays on the way
 * to a changed leaf are copied, the rest is shared (the original stays as the server sent it,
 * for the quarantine store and the audit).
 */
export function withLeaves<T>(root: T, changes: ReadonlyArray<{ keys: ReadonlyArray<string | number>; value: string }>): T {
  const copy = (v: unknown): unknown => (Array.isArray(v) ? [...v] : { ...(v as object) });
  const out = copy(root) as Record<string | number, unknown>;
  const copied = new Set<unknown>([out]);
  for (const { keys, value } of changes) {
    let node = out;
    for (let i = 0; i < keys.length - 1; i++) {
      const k = keys[i]!;
      if (!copied.has(node[k])) {
        node[k] = copy(node[k]);
        copied.add(node[k]);
      }
      node = node[k] as Record<string | number, unknown>;
    }
    node[keys[keys.length - 1]!] = value;
  }
  return out as T;
}
