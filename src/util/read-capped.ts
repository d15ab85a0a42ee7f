/**
 * Read a body stream up to `max` bytes: null (and the stream destroyed) as soon as it is longer,
 * so a peer cannot make us buffer without bound.
 */
export async function readCapped(body: AsyncIterable<Buffer> & { destroy?: () => void }, max: number): Promise<Buffer | null> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += c.length;
    if (n > max) {
      body.destroy?.();
      return null;
    }
    parts.push(c);
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, n);
}
