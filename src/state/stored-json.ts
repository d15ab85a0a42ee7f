/**
 * A JSON value read back from a shared store (Redis): `undefined` when absent or damaged, never a
 * throw, so one damaged entry reads as a missing one instead of failing a whole listing.
 * Callers that trust the shape check it (zod) or treat it as their own earlier write.
 */
export function parseStored<T = unknown>(text: string | null | undefined): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
