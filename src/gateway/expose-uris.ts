import type { Namespacer } from './namespacing.ts';

/** Multi-server: resource URIs inside results name the server they came from. True if any changed. */
export function exposeUris(result: Record<string, unknown>, server: string, ns: Namespacer): boolean {
  return mapResultUris(result, (uri) => ns.exposeUri(server, uri));
}

/**
 * Every resource URI a result carries (resource links and embedded resources in tool results and
 * prompt messages, `contents` of a read), rewritten in place by `map`. True if any was visited.
 * The embedded guard (src/embed/server-view.ts) undoes `exposeUris` with it.
 */
export function mapResultUris(result: Record<string, unknown>, map: (uri: string) => string): boolean {
  let changed = false;
  const fix = (o: unknown) => {
    if (o && typeof o === 'object' && typeof (o as { uri?: unknown }).uri === 'string') {
      (o as { uri: string }).uri = map((o as { uri: string }).uri);
      changed = true;
    }
  };
  for (const c of Array.isArray(result.content) ? result.content : []) {
    const item = c as { type?: string; resource?: unknown };
    if (item?.type === 'resource_link') fix(item);
    else if (item?.type === 'resource') fix(item.resource);
  }
  for (const c of Array.isArray(result.contents) ? result.contents : []) fix(c);
  for (const m of Array.isArray(result.messages) ? result.messages : []) {
    const content = (m as { content?: { type?: string; resource?: unknown } })?.content;
    if (content?.type === 'resource') fix(content.resource);
    else if (content?.type === 'resource_link') fix(content);
  }
  return changed;
}
