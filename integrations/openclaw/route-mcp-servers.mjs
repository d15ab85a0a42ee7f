#!/usr/bin/env node
/**
 * Routes every stdio MCP server of an OpenClaw installation through `portcullis wrap`.
 *
 * OpenClaw (2026.9) keeps its MCP servers under `mcp.servers.<name>` in openclaw.json and launches
 * each stdio one itself with its own MCP client; its plugin API gates OpenClaw tools
 * (`before_tool_call`) but has no hook into that client's connection. The one place Portcullis
 * can stand for every call and every answer is the server's command line, so this tool rewrites
 * it through OpenClaw's own CLI (`openclaw mcp show --json`, `openclaw mcp set`):
 *
 *   {command: C, args: A}  ->  {command: node, args: [portcullis.cjs, wrap, --config, Y, --name, N, --, C, ...A]}
 *
 * Idempotent (a routed server is left alone), reversible (`--undo` restores C and A from after
 * `--`), and loud: an HTTP server cannot be routed this way and is listed as NOT GUARDED with the
 * exit status 3, never skipped in silence. Plain JavaScript, no dependencies: it runs wherever
 * OpenClaw does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const usage = `Usage: node route-mcp-servers.mjs --config PORTCULLIS_YAML [--openclaw PATH] [--portcullis PATH] [--undo] [--dry-run]

  --config      the Portcullis configuration every server runs under (e.g. openclaw-mcp-security.yaml)
  --openclaw    the openclaw launcher (default: 'openclaw' on PATH; a .mjs/.js file runs with this Node)
  --portcullis  bin/portcullis.cjs of the Portcullis to use (default: the one this file ships with)
  --undo        restore every routed server's own command
  --dry-run     print what would change, change nothing

Server names become Portcullis server names (--name), which are [a-z0-9-]: per-skill overrides
in the configuration (mcp.skills[].name) apply by that name.`;

const HERE = dirname(fileURLToPath(import.meta.url));
const NAME = /^[a-z0-9][a-z0-9-]*$/;

export function routedArgs(def) {
  const args = Array.isArray(def.args) ? def.args : [];
  const w = args.indexOf('wrap');
  const dd = args.indexOf('--', w);
  return w >= 0 && dd > w && /portcullis(\.cjs)?$/.test(String(args[w - 1] ?? def.command)) ? { own: args.slice(dd + 1), dd } : undefined;
}

/** The new definition of one server, or a reason it is left as it is. */
export function plan(name, def, o) {
  if (def.url) return { skip: `NOT GUARDED: '${name}' is an HTTP server (${def.url}); put \`portcullis run\` in front of it and point its url at the gateway` };
  if (!def.command) return { skip: `'${name}' has no command` };
  const routed = routedArgs(def);
  if (o.undo) {
    if (!routed) return { skip: `'${name}' is not routed` };
    const [command, ...args] = routed.own;
    return { def: { ...def, command, args } };
  }
  if (routed) return { skip: `'${name}' is routed already` };
  if (!NAME.test(name)) return { skip: `NOT GUARDED: '${name}' is not a valid Portcullis server name ([a-z0-9-]); rename it in OpenClaw` };
  const args = [o.portcullis, 'wrap', '--config', o.config, '--name', name, '--', def.command, ...(def.args ?? [])];
  return { def: { ...def, command: o.node, args } };
}

function openclaw(o, argv) {
  const [cmd, pre] = /\.(m?js|cjs)$/.test(o.openclaw) ? [process.execPath, [o.openclaw]] : [o.openclaw, []];
  const r = spawnSync(cmd, [...pre, ...argv], { encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`openclaw ${argv.slice(0, 2).join(' ')} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || r.error?.message || '').trim().slice(0, 2000)}`);
  return r.stdout;
}

function main() {
  let values;
  try {
    ({ values } = parseArgs({ options: { config: { type: 'string' }, openclaw: { type: 'string' }, portcullis: { type: 'string' }, undo: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    process.stderr.write(`${err.message}\n\n${usage}\n`);
    return 2;
  }
  if (values.help) return void process.stdout.write(`${usage}\n`) ?? 0;
  if (!values.config && !values.undo) {
    process.stderr.write(`--config is required\n\n${usage}\n`);
    return 2;
  }
  const o = {
    config: values.config && resolve(values.config),
    openclaw: values.openclaw ?? 'openclaw',
    portcullis: resolve(values.portcullis ?? join(HERE, '..', '..', 'bin', 'portcullis.cjs')),
    node: process.execPath,
    undo: Boolean(values.undo),
  };
  if (o.config && !existsSync(o.config)) {
    process.stderr.write(`${o.config}: no such file\nfix: give the Portcullis configuration with --config\n`);
    return 1;
  }
  if (!isAbsolute(o.portcullis) || !existsSync(o.portcullis)) {
    process.stderr.write(`${o.portcullis}: no such file\nfix: give bin/portcullis.cjs with --portcullis\n`);
    return 1;
  }
  const servers = JSON.parse(openclaw(o, ['mcp', 'show', '--json']) || '{}');
  let unguarded = 0;
  for (const [name, def] of Object.entries(servers)) {
    const p = plan(name, def, o);
    if (p.skip) {
      if (p.skip.startsWith('NOT GUARDED')) unguarded++;
      process.stderr.write(`${p.skip}\n`);
      continue;
    }
    process.stdout.write(`${o.undo ? 'restored' : 'routed'} ${name}: ${p.def.command} ${p.def.args.join(' ')}\n`);
    if (!values['dry-run']) openclaw(o, ['mcp', 'set', name, JSON.stringify(p.def)]);
  }
  return unguarded && !o.undo ? 3 : 0;
}

if (import.meta.main) {
  try {
    process.exitCode = main();
  } catch (err) {
    process.stderr.write(`route-mcp-servers: ${err.message}\n`);
    process.exitCode = 1;
  }
}
