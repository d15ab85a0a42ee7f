/**
 * The per-server override form of a settings object: every key optional and nothing defaulted.
 *
 * zod's `.partial()` keeps each key's default, so an override that names one key would fill in
 * every other key with the schema default and, merged over the global settings, quietly reset
 * them: a server's `rateLimiting: { burstSize: 5 }` set `requestsPerMinute` back to 60 under a
 * global 30, and `sandbox: { memoryLimit: 256m }` set `enabled` back to false — running that
 * server unsandboxed. An override must set only what it names.
 */
import { z } from 'zod';

export function overrideOf<T extends z.ZodObject>(schema: T): z.ZodType<Partial<z.output<T>>> {
  const shape = Object.fromEntries(
    Object.entries(schema.shape as Record<string, z.ZodType>).map(([k, v]) => {
      const field = (v instanceof z.ZodDefault ? (v.unwrap() as z.ZodType) : v).optional();
      return [k, v.description ? field.describe(v.description) : field];
    }),
  );
  return z.strictObject(shape) as unknown as z.ZodType<Partial<z.output<T>>>;
}

/** The keys an override names (zod leaves the others undefined), to spread over the base. */
export function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  if (!o) return {};
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
