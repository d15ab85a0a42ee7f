/**
 * Validators for the `inputSchema`/`outputSchema` a server declares, compiled per catalog
 * generation: one generation per tools list, retired when the list is replaced.
 *
 * The Ajv engines are shared (building one costs tens of milliseconds), and Ajv caches every
 * compiled schema by object identity for as long as the engine lives. Every tools/list brings
 * fresh objects, so a server that keeps sending `notifications/tools/list_changed` would grow the
 * gateway without bound (1,000 lists left 1,000 entries). A generation remembers what it compiled
 * and removes it from the engine when retired; a validator compiled for an already retired
 * generation (a call that fetched its tool just before the list changed) is removed at once.
 * Validators already handed out keep working: only the engine's reference goes.
 *
 * A schema that does not compile (or is absurdly large) yields a validator that refuses
 * everything: a server cannot switch validation off by sending a broken schema.
 */
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { AnySchema, ValidateFunction } from 'ajv';

export interface Validator {
  (value: unknown): boolean;
  errors?: string;
}

const MAX_SCHEMA_BYTES = 256 * 1024;

// MCP's default dialect is JSON Schema 2020-12 (2025-11-25); servers built on zod still declare
// draft-07, so each schema is compiled by the engine of the dialect it names.
const OPTIONS = { strict: false, allErrors: false, validateSchema: true, code: { optimize: 1 } } as const;
const ajv2020 = new Ajv2020(OPTIONS);
const ajv07 = new Ajv(OPTIONS);
(addFormats as unknown as (a: unknown) => void)(ajv2020);
(addFormats as unknown as (a: unknown) => void)(ajv07);

function engineFor(schema: Record<string, unknown>): Ajv | Ajv2020 {
  const dialect = typeof schema.$schema === 'string' ? schema.$schema : '';
  return /draft-0[4-7]/.test(dialect) ? ajv07 : ajv2020;
}

/** Schemas the shared engines hold compiled (for tests and diagnostics). */
export function compiledSchemaCount(): number {
  const size = (a: Ajv | Ajv2020) => (a as unknown as { _cache: Map<unknown, unknown> })._cache.size;
  return size(ajv2020) + size(ajv07);
}

export class ValidatorGeneration {
  private compiled: { engine: Ajv | Ajv2020; schema: AnySchema }[] = [];
  private retired = false;

  compile(schema: unknown, what: string): Validator {
    const engine = engineFor((schema ?? {}) as Record<string, unknown>);
    let fn: ValidateFunction;
    // Each tool gets its own compile; `$id`s from servers must not collide in the shared cache.
    const { $id: _ignored, $schema: _dialect, ...rest } = (schema ?? {}) as Record<string, unknown>;
    try {
      if (JSON.stringify(schema).length > MAX_SCHEMA_BYTES) throw new Error(`schema over ${MAX_SCHEMA_BYTES} bytes`);
      fn = engine.compile(rest);
    } catch (err) {
      engine.removeSchema(rest); // a failed compile can leave its entry in the cache too
      const v: Validator = () => false;
      v.errors = `the server's ${what} does not compile: ${(err as Error).message}`;
      return v;
    }
    if (this.retired) engine.removeSchema(rest);
    else this.compiled.push({ engine, schema: rest });
    const v: Validator = (value) => {
      const ok = fn(value) as boolean;
      v.errors = ok ? undefined : engine.errorsText(fn.errors, { dataVar: 'arguments' });
      return ok;
    };
    return v;
  }

  /** The list this generation belongs to was replaced: free what it compiled. */
  retire(): void {
    this.retired = true;
    for (const { engine, schema } of this.compiled) engine.removeSchema(schema);
    this.compiled = [];
  }
}
