/**
 * Loading a configuration: YAML -> ${ENV} interpolation -> schema -> per-server merge -> freeze.
 *
 * An operator's mistake fails here, at start-up, with every problem listed: the file, the YAML
 * path, the line, and the fix. Nothing downstream re-validates the configuration.
 */
import { readFileSync, statSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { classifierProblems } from '../detect/classifier.ts';
import { modelProblems } from '../detect/model.ts';
import { sandboxSettingProblems } from '../sandbox/settings-problems.ts';
import { configSchema, type Config, type Security, type SecurityOverride, type ServerConfig } from './schema.ts';
import { mergeInspection } from './inspection-schema.ts';
import { mergePinning } from './pinning-schema.ts';
import { definedOnly } from './override-schema.ts';
import { validationOverrideProblems } from './validation-problems.ts';
import { workersProblems } from './workers-schema.ts';

export interface ConfigProblem {
  /** Dotted YAML path, e.g. `mcp.security.rateLimiting.burstSize`. */
  path: string;
  line?: number;
  message: string;
  fix: string;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly file: string;
  readonly problems: ConfigProblem[];
  constructor(file: string, problems: ConfigProblem[]) {
    super(`${file}: ${problems.length} configuration problem(s)\n` + problems.map((p) => formatProblem(file, p)).join('\n'));
    this.file = file;
    this.problems = problems;
  }
}

export function formatProblem(file: string, p: ConfigProblem): string {
  return `  ${file}${p.line ? `:${p.line}` : ''}  ${p.path || '(root)'}: ${p.message}\n      fix: ${p.fix}`;
}

/** A server with its effective (global merged with override) security settings. */
export interface ResolvedServer extends ServerConfig {
  effective: Security;
}

export interface LoadedConfig {
  file: string;
  config: Config;
  servers: ResolvedServer[];
  /** Non-fatal remarks (e.g. a skill override naming no server). */
  notes: ConfigProblem[];
  /**
   * `${VAR}`s that were not set (only with `allowUnsetEnv`; each reads as ""). Without that
   * option an unset variable is a ConfigError, listed with every other problem of the file.
   */
  unsetEnv: ConfigProblem[];
}

export interface LoadOptions {
  /**
   * `portcullis check`: load a file whose `${VAR}`s are not all set, so that every other problem
   * can be found in the same run; they come back in `unsetEnv`. Never for a gateway that runs.
   */
  allowUnsetEnv?: boolean;
}

const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env, opts: LoadOptions = {}): LoadedConfig {
  let text: string;
  try {
    const st = statSync(file);
    if (st.size > MAX_CONFIG_BYTES) {
      throw new ConfigError(file, [{ path: '', message: `file is ${st.size} bytes`, fix: `keep the configuration under ${MAX_CONFIG_BYTES} bytes` }]);
    }
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(file, [{ path: '', message: `cannot read: ${(err as Error).message}`, fix: 'check the --config path' }]);
  }
  return loadConfigText(text, file, env, opts);
}

export function loadConfigText(text: string, file = '<inline>', env: NodeJS.ProcessEnv = process.env, opts: LoadOptions = {}): LoadedConfig {
  const lineCounter = new LineCounter();
  // Aliases are allowed but capped: a YAML "billion laughs" must not expand without bound.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: ConfigProblem[] = [];
  for (const e of doc.errors) {
    const pos = e.linePos?.[0];
    problems.push({ path: '', line: pos?.line, message: `YAML: ${e.message.split('\n')[0]}`, fix: 'correct the YAML syntax at that line' });
  }
  if (problems.length) throw new ConfigError(file, problems);

  const lineOf = (path: (string | number)[]): number | undefined => {
    // Prefer the key's own line (for `foo:` with a nested value the value starts a line later).
    const parent = path.length ? doc.getIn(path.slice(0, -1), true) : undefined;
    if (isMap(parent)) {
      const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === path[path.length - 1]);
      const kr = (pair?.key as YamlNode | undefined)?.range;
      if (kr) return lineCounter.linePos(kr[0]).line;
    }
    let node: unknown = doc.getIn(path, true);
    for (let i = path.length; node === undefined && i > 0; i--) node = doc.getIn(path.slice(0, i - 1), true);
    const range = (node as YamlNode | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `YAML: ${(err as Error).message}`, fix: 'remove excessive aliases' }]);
  }
  if (raw === null || raw === undefined) raw = {};

  // An unset variable does not stop the load: every other problem of the file is found in the
  // same run. What an empty value provokes at the variable's own key is not reported twice.
  const unsetEnv: ConfigProblem[] = [];
  interpolate(raw, [], env, unsetEnv, lineOf);
  const own = notFromUnsetEnv(unsetEnv);
  const fail = (found: ConfigProblem[]): never => {
    throw new ConfigError(file, [...unsetEnv, ...found.filter(own)]);
  };

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) return fail(parsed.error.issues.map((i) => issueToProblem(i, lineOf)));
  const config = parsed.data;
  const notes: ConfigProblem[] = [];
  const seen = new Set<string>();
  config.mcp.servers.forEach((s, i) => {
    if (seen.has(s.name)) {
      problems.push({ path: `mcp.servers.${i}.name`, line: lineOf(['mcp', 'servers', i, 'name']), message: `duplicate server name '${s.name}'`, fix: 'give every server a unique name' });
    }
    seen.add(s.name);
  });
  config.mcp.skills.forEach((sk, i) => {
    if (!seen.has(sk.name)) {
      notes.push({
        path: `mcp.skills.${i}.name`,
        line: lineOf(['mcp', 'skills', i, 'name']),
        message: `skill '${sk.name}' names no server in mcp.servers; its overrides apply to nothing`,
        fix: `add a server named '${sk.name}' or remove the skill`,
      });
    }
  });
  if (problems.length) fail(problems);

  const servers = config.mcp.servers.map((s): ResolvedServer => {
    const skillOverrides = config.mcp.skills.filter((k) => k.name === s.name).map((k) => k.security);
    let effective = config.mcp.security;
    for (const o of [...skillOverrides, s.security].filter(Boolean) as SecurityOverride[]) effective = mergeSecurity(effective, o);
    return { ...s, effective };
  });
  for (const p of sandboxSettingProblems(config.mcp.security.sandbox, servers)) problems.push({ path: p.path, line: lineOf(p.at), message: p.message, fix: p.fix });
  for (const p of classifierProblems(config.mcp.security.inspection.injection.classifier)) problems.push({ ...p, line: lineOf(p.path.split('.')) });
  const modelOn = [config.mcp.security, ...servers.map((s) => s.effective)].some((sec) => sec.inspection.enabled && sec.inspection.injection.model.enabled);
  for (const p of modelProblems(modelOn)) problems.push({ ...p, line: lineOf(p.path.split('.')) });
  for (const p of validationOverrideProblems(config)) problems.push({ path: p.path, line: lineOf(p.at), message: p.message, fix: p.fix });
  for (const p of workersProblems(config.mcp.listen.workers, config.mcp.state.url)) problems.push({ ...p, line: lineOf(['mcp', 'listen', 'workers']) });
  if (problems.filter(own).length || (unsetEnv.length && !opts.allowUnsetEnv)) fail(problems);
  return deepFreeze({ file, config, servers, notes, unsetEnv });
}

/** A problem that is not merely the echo of an unset `${VAR}`'s empty value at (or under) its key. */
export function notFromUnsetEnv(unsetEnv: readonly ConfigProblem[]): (p: { path: string }) => boolean {
  const paths = unsetEnv.map((u) => u.path);
  return (p) => !paths.some((u) => p.path === u || p.path.startsWith(`${u}.`));
}

/**
 * Merge a per-server override into the global settings.
 * - scalar settings: the override wins;
 * - `toolAccess.allowedTools`: the override replaces the global list for that server;
 * - `toolAccess.deniedTools`: the union — a global deny can never be lifted per server;
 * - `flowRules`: the union, for the same reason; `toolLabels`, `promptLabels`, `resourceLabels`:
 *   merged per pattern.
 */
export function mergeSecurity(base: Security, o: SecurityOverride): Security {
  const ta = o.toolAccess;
  return {
    ...base,
    requireAuth: o.requireAuth ?? base.requireAuth,
    mtls: { ...base.mtls, ...definedOnly(o.mtls) },
    toolAccess: {
      defaultPolicy: ta?.defaultPolicy ?? base.toolAccess.defaultPolicy,
      allowedTools: ta?.allowedTools ?? base.toolAccess.allowedTools,
      deniedTools: [...base.toolAccess.deniedTools, ...(ta?.deniedTools ?? [])],
      approvalTimeoutSeconds: ta?.approvalTimeoutSeconds ?? base.toolAccess.approvalTimeoutSeconds,
    },
    // Labels per pattern: the server's own win. Flow rules add up: a global one cannot be lifted.
    toolLabels: { ...base.toolLabels, ...o.toolLabels },
    promptLabels: { ...base.promptLabels, ...o.promptLabels },
    resourceLabels: { ...base.resourceLabels, ...o.resourceLabels },
    flowRules: [...base.flowRules, ...(o.flowRules ?? [])],
    argumentGuards: { ...base.argumentGuards, ...definedOnly(o.argumentGuards) },
    promptAccess: mergeNames(base.promptAccess, o.promptAccess),
    resourceAccess: mergeNames(base.resourceAccess, o.resourceAccess),
    rateLimiting: { ...base.rateLimiting, ...definedOnly(o.rateLimiting) },
    validation: { ...base.validation, ...definedOnly(o.validation) },
    sandbox: { ...base.sandbox, ...definedOnly(o.sandbox) } as Security['sandbox'],
    pinning: mergePinning(base.pinning, o.pinning),
    inspection: mergeInspection(base.inspection, o.inspection),
  };
}

function mergeNames(base: Security['promptAccess'], o: SecurityOverride['promptAccess']): Security['promptAccess'] {
  return {
    defaultPolicy: o?.defaultPolicy ?? base.defaultPolicy,
    allowed: o?.allowed ?? base.allowed,
    denied: [...base.denied, ...(o?.denied ?? [])],
  };
}

const VAR_RE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function interpolate(
  node: unknown,
  path: (string | number)[],
  env: NodeJS.ProcessEnv,
  problems: ConfigProblem[],
  lineOf: (p: (string | number)[]) => number | undefined,
): unknown {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) node[i] = interpolate(node[i], [...path, i], env, problems, lineOf);
    return node;
  }
  if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = interpolate(o[k], [...path, k], env, problems, lineOf);
    return o;
  }
  if (typeof node !== 'string' || !node.includes('$')) return node;
  return node.replace(VAR_RE, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    const v = env[name!];
    if (v === undefined) {
      problems.push({
        path: path.join('.'),
        line: lineOf(path),
        message: `environment variable ${name} is not set`,
        fix: `export ${name}=... before starting, or write a literal value (use $$ for a literal $)`,
      });
      return '';
    }
    return v;
  });
}

function issueToProblem(i: z.core.$ZodIssue, lineOf: (p: (string | number)[]) => number | undefined): ConfigProblem {
  const p = i.path.filter((x): x is string | number => typeof x !== 'symbol');
  const path = p.join('.');
  const line = lineOf(p);
  switch (i.code) {
    case 'unrecognized_keys':
      return {
        path,
        line: lineOf([...p, i.keys[0]]) ?? line,
        message: `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')}`,
        fix: 'remove it or correct its spelling (see docs/config-reference.md)',
      };
    case 'invalid_type':
      return { path, line, message: `expected ${i.expected}${'received' in i ? '' : ''}`, fix: `write a ${i.expected} here` };
    case 'invalid_value':
      return { path, line, message: `must be one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}`, fix: 'use one of the listed values' };
    case 'too_small':
    case 'too_big':
      return { path, line, message: i.message, fix: `use a value ${i.code === 'too_small' ? '>=' : '<='} ${String(i.code === 'too_small' ? i.minimum : i.maximum)}` };
    case 'invalid_union':
      return { path, line, message: 'matches none of the allowed forms', fix: 'see docs/config-reference.md for the allowed forms of this key' };
    default:
      // A refinement that knows the fix says it (`params.fix`: a custom rule's RE2 pattern).
      return { path, line, message: i.message, fix: (i.code === 'custom' && typeof i.params?.fix === 'string' ? i.params.fix : undefined) ?? 'see docs/config-reference.md' };
  }
}

export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
