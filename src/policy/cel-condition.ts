/**
 * `when:` conditions in CEL (@bufbuild/cel) over `{principal, server, tool, args, time, session}`.
 *
 * Expressions are compiled when the configuration loads: a syntax error, an unknown variable or
 * an unknown function fails `portcullis check` with its line and column, instead of failing
 * closed on every call at run time. CEL has no loops or side effects, so an expression always
 * terminates; there is no `eval` anywhere.
 *
 * At run time anything but `true` refuses the call: `false`, a missing field (`args.limit` when
 * the caller left it out), a type error. Bindings:
 *   principal  {subject, method, roles, groups, scopes} (groups and scopes empty unless the
 *              credential carries them: JWT claims, an API key's entry)
 *   server     the server's name; tool the tool's name on that server
 *   args       the call's arguments (JSON)
 *   time       a timestamp (`time.getHours("Europe/Paris") < 18`)
 *   session    {id, labels, protocolVersion, client: {name, version}}
 */
import { celEnv, isCelError, parse, plan, type CelInput } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';

export const CEL_VARIABLES = ['principal', 'server', 'tool', 'args', 'time', 'session'] as const;

export const MAX_CEL_LENGTH = 4096;

const env = celEnv({ funcs: strings });

/** Operators and macros the parser emits that are not ordinary functions in the resolver. */
const BUILTIN = new Set(['_&&_', '_||_', '_?_:_', '!_', '@not_strictly_false', '@in', '_[_]', '-_', 'has']);
/** Type names are identifiers too (`type(args.limit) == int`). */
const TYPE_NAMES = new Set(['int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'null_type', 'type']);

/**
 * JSON numbers that are whole become CEL `int`, so `args.limit % 2 == 0` and `args.limit / 2`
 * behave as an operator expects; fractional ones stay `double`.
 */
function toCel(v: unknown, depth = 0): unknown {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : v;
  if (depth > 64 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => toCel(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = toCel(x, depth + 1);
  return out;
}

export interface CelBindings {
  principal: { subject: string; method: string; roles: readonly string[]; groups?: readonly string[]; scopes?: readonly string[] };
  server: string;
  tool: string;
  args: Record<string, unknown>;
  timeMs: number;
  session: { id: string; labels: readonly string[]; protocolVersion?: string; client?: { name?: string; version?: string } };
}

export interface CompiledCel {
  source: string;
  evaluate(b: CelBindings): { value: boolean } | { error: string };
}

export class CelCompileError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(`${message} (at line ${line}, column ${column})`);
    this.line = line;
    this.column = column;
  }
}

interface Node {
  id: bigint;
  exprKind: { case: string | undefined; value: unknown };
}

function position(offset: number, source: string): { line: number; column: number } {
  const before = source.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

/** Unknown variables and functions, found by walking the parsed tree (comprehension variables are bound inside). */
function checkNames(root: Node, positions: Record<string, number>, source: string): void {
  const fail = (n: Node, msg: string): never => {
    const p = position(positions[String(n.id)] ?? 0, source);
    throw new CelCompileError(msg, p.line, p.column);
  };
  const visit = (n: Node | undefined, bound: ReadonlySet<string>): void => {
    if (!n) return;
    const v = n.exprKind.value as Record<string, unknown>;
    switch (n.exprKind.case) {
      case 'identExpr': {
        const name = v.name as string;
        if (!bound.has(name) && !TYPE_NAMES.has(name) && !(CEL_VARIABLES as readonly string[]).includes(name)) {
          fail(n, `unknown variable '${name}'; the variables are ${CEL_VARIABLES.join(', ')}`);
        }
        return;
      }
      case 'selectExpr':
        return visit(v.operand as Node, bound);
      case 'callExpr': {
        const fn = v.function as string;
        if (!BUILTIN.has(fn) && !env.funcs.find(fn)) fail(n, `unknown function '${fn}'`);
        visit(v.target as Node | undefined, bound);
        for (const a of v.args as Node[]) visit(a, bound);
        return;
      }
      case 'listExpr':
        for (const e of v.elements as Node[]) visit(e, bound);
        return;
      case 'structExpr':
        for (const e of v.entries as { mapKey?: Node; value: Node }[]) {
          visit(e.mapKey, bound);
          visit(e.value, bound);
        }
        return;
      case 'comprehensionExpr': {
        visit(v.iterRange as Node, bound);
        visit(v.accuInit as Node, bound);
        const inner = new Set(bound);
        for (const k of ['iterVar', 'iterVar2', 'accuVar']) if (v[k]) inner.add(v[k] as string);
        visit(v.loopCondition as Node, inner);
        visit(v.loopStep as Node, inner);
        visit(v.result as Node, inner);
        return;
      }
      default:
        return;
    }
  };
  visit(root, new Set());
}

export function compileCel(source: string): CompiledCel {
  if (source.length > MAX_CEL_LENGTH) throw new CelCompileError(`expression longer than ${MAX_CEL_LENGTH} characters`, 1, 1);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (err) {
    const e = err as Error & { location?: { start?: { line: number; column: number } } };
    const start = e.location?.start ?? { line: 1, column: 1 };
    throw new CelCompileError(e.message.replace(/^<input>:\d+:\d+: /, ''), start.line, start.column);
  }
  const positions: Record<string, number> = {};
  for (const [id, off] of Object.entries(parsed.sourceInfo?.positions ?? {})) positions[id] = off as number;
  checkNames(parsed.expr as unknown as Node, positions, source);
  const program = plan(env, parsed);
  return {
    source,
    evaluate(b) {
      const input: Record<string, CelInput> = {
        principal: {
          subject: b.principal.subject,
          method: b.principal.method,
          roles: [...b.principal.roles],
          groups: [...(b.principal.groups ?? [])],
          scopes: [...(b.principal.scopes ?? [])],
        },
        server: b.server,
        tool: b.tool,
        args: toCel(b.args) as CelInput,
        time: timestampFromMs(b.timeMs) as unknown as CelInput,
        session: { ...b.session, labels: [...b.session.labels], client: b.session.client ?? {} } as CelInput,
      };
      let r: unknown;
      try {
        r = program(input);
      } catch (err) {
        return { error: (err as Error).message };
      }
      if (isCelError(r)) return { error: r.message };
      if (typeof r !== 'boolean') return { error: `the expression gave ${typeof r}, not a bool` };
      return { value: r };
    },
  };
}

/** For the config schema: the problem with an expression, or undefined. */
export function celProblem(source: string): string | undefined {
  try {
    compileCel(source);
    return undefined;
  } catch (err) {
    return err instanceof CelCompileError ? `CEL: ${err.message}` : `CEL: ${(err as Error).message}`;
  }
}
