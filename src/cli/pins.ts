/**
 * `portcullis pins list|diff|approve|revoke|lock`: the operator's side of pinning. It reads and
 * writes the pin files only (src/pins/pin-file.ts), so it works whether or not a gateway runs;
 * running gateways pick a change up within a second, audit it, and tell their clients to list
 * again.
 */
import { userInfo } from 'node:os';
import { loadConfigFile } from '../config/load.ts';
import { configSchema } from '../config/schema.ts';
import { PIN_KINDS, PIN_VERSION, type PinKind } from '../pins/pin-definition.ts';
import { definitionDiff } from '../pins/pin-diff.ts';
import { getEntry, readPinFile, setEntry, updatePinFile, type PinFileData } from '../pins/pin-file.ts';
import { pinPaths } from '../pins/pins-from-config.ts';
import { StateFileError } from '../util/locked-json-file.ts';
import { CliError, loadOrExplain, parse } from './common.ts';
import type { Command } from './main.ts';

const usage = `Usage: portcullis pins list    [where] [--json] [SERVER[__NAME]]
       portcullis pins diff    [where] SERVER[__NAME]
       portcullis pins approve [where] [--kind KIND] [--reason TEXT] SERVER[__NAME]
       portcullis pins revoke  [where] [--kind KIND] [--reason TEXT] SERVER[__NAME]
       portcullis pins lock    [where] [--out FILE]

list     every pin and its state: pinned, drifted, pending, revoked, blocked (with findings)
diff     what changed between the pinned definition and the one the server now sends
approve  trust what the server now sends (drifted, pending, blocked: findings accepted), or
         restore a revoked pin; SERVER alone approves everything waiting on that server
revoke   withdraw trust: the definition is hidden until approved again
lock     write the lockfile (mcp.security.pinning.lockfile, or --out) from the trusted pins, to
         commit and run with mode: lockfile

SERVER is the server's name (a wrapped server without --name is 'upstream@<hash>', as listed);
NAME a tool, prompt, resource URI or resource template; KIND one of ${PIN_KINDS.join(', ')}
(launch: how the server is started; instructions: its initialize instructions and serverInfo;
both are one pin per server: SERVER --kind launch|instructions).

Where:
  -c, --config FILE     the gateway's configuration (mcp.state.dir, mcp.security.pinning)
      --state-dir DIR   the state directory (default from --config, else ./portcullis-state)
  -h, --help            this help`;

interface Target {
  key?: string;
  name?: string;
  kind?: PinKind;
}

function target(arg: string | undefined, kind: string | undefined): Target {
  if (kind !== undefined && !(PIN_KINDS as readonly string[]).includes(kind)) throw new CliError(`--kind: expected one of ${PIN_KINDS.join(', ')}`);
  if (!arg) return { kind: kind as PinKind | undefined };
  const i = arg.indexOf('__');
  return i > 0 ? { key: arg.slice(0, i), name: arg.slice(i + 2), kind: kind as PinKind | undefined } : { key: arg, kind: kind as PinKind | undefined };
}

interface Row {
  key: string;
  kind: PinKind;
  name: string;
}

function rows(d: PinFileData, t: Target): Row[] {
  const out = new Map<string, Row>();
  for (const tree of [d.servers, d.observed] as Record<string, Partial<Record<PinKind, Record<string, unknown>>>>[]) {
    for (const [key, kinds] of Object.entries(tree)) {
      if (t.key && key !== t.key) continue;
      for (const kind of PIN_KINDS) {
        if (t.kind && kind !== t.kind) continue;
        for (const name of Object.keys(kinds[kind] ?? {})) if (!t.name || name === t.name) out.set(`${key}\u0000${kind}\u0000${name}`, { key, kind, name });
      }
    }
  }
  return [...out.values()].sort((a, b) => `${a.key}${a.kind}${a.name}`.localeCompare(`${b.key}${b.kind}${b.name}`));
}

export const pinsCommand: Command = {
  summary: 'tool/prompt/resource/server pins: list, diff, approve, revoke, lock',
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, { config: { type: 'string', short: 'c' }, 'state-dir': { type: 'string' }, kind: { type: 'string' }, reason: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } }, usage);
    const [sub, arg, extra] = positionals;
    if (extra !== undefined) throw new CliError(`one SERVER[__NAME] at a time\n\n${usage}`);
    const config = values.config ? loadOrExplain(() => loadConfigFile(values.config as string)).config : configSchema.parse({ mcp: {} });
    const paths = pinPaths(config, values['state-dir'] as string | undefined);
    const trustFile = paths.mode === 'lockfile' ? paths.lockfile : paths.stateFile;
    const t = target(arg, values.kind as string | undefined);
    const by = `${userInfo().username} (portcullis pins)`;
    const now = new Date().toISOString();
    try {
      const state = readPinFile(paths.stateFile);
      const trust = paths.mode === 'lockfile' ? readPinFile(paths.lockfile) : state;
      const found = rows({ version: 1, servers: trust.servers, observed: state.observed }, t);
      switch (sub) {
        case 'list': {
          const list = found.map((r) => {
            const pin = getEntry(trust.servers, r.key, r.kind, r.name);
            const obs = getEntry(state.observed, r.key, r.kind, r.name);
            return { server: r.key, kind: r.kind, name: r.name, state: obs?.state ?? (pin?.revoked ? 'revoked' : 'pinned'), origin: pin?.origin, pinnedAt: pin?.pinnedAt, findings: obs?.findings ?? [] };
          });
          if (values.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
          else {
            process.stdout.write(`pins (${paths.mode}: ${trustFile})\n`);
            for (const r of list) {
              process.stdout.write(`${r.state.padEnd(8)} ${r.server}  ${r.kind}  ${r.name}${r.origin === 'operator' ? '  (approved)' : ''}\n`);
              for (const f of r.findings) process.stdout.write(`         ${f.severity} ${f.rule} at ${f.path ?? '?'}: ${f.excerpt ?? ''}\n`);
            }
          }
          return 0;
        }
        case 'diff': {
          if (!t.key) throw new CliError(`diff needs SERVER[__NAME]\n\n${usage}`);
          let shown = 0;
          for (const r of found) {
            const obs = getEntry(state.observed, r.key, r.kind, r.name);
            if (!obs) continue;
            const pin = getEntry(trust.servers, r.key, r.kind, r.name);
            process.stdout.write(`${r.key} ${r.kind} ${r.name}: ${obs.state} (seen ${obs.seenAt})\n  pinned:   ${pin?.hash ?? '(none)'}\n  observed: ${obs.hash}\n`);
            for (const l of definitionDiff(pin?.def, obs.def)) process.stdout.write(`  ${l}\n`);
            for (const f of obs.findings) process.stdout.write(`  finding: ${f.severity} ${f.rule} at ${f.path ?? '?'}: ${f.excerpt ?? ''}\n`);
            shown++;
          }
          if (!shown) process.stdout.write(`nothing waiting for approval under ${arg}\n`);
          return 0;
        }
        case 'approve':
        case 'revoke': {
          if (!t.key) throw new CliError(`${sub} needs SERVER[__NAME]\n\n${usage}`);
          const done: string[] = [];
          updatePinFile(trustFile, (d) => {
            for (const r of found) {
              const obs = getEntry(state.observed, r.key, r.kind, r.name);
              const pin = getEntry(d.servers, r.key, r.kind, r.name);
              if (sub === 'approve' && obs) setEntry(d.servers, r.key, r.kind, r.name, { hash: obs.hash, def: obs.def, pinnedAt: now, origin: 'operator', by, v: PIN_VERSION });
              else if (sub === 'approve' && pin?.revoked) setEntry(d.servers, r.key, r.kind, r.name, { ...pin, revoked: undefined, origin: 'operator', pinnedAt: now, by });
              else if (sub === 'revoke' && pin && !pin.revoked) setEntry(d.servers, r.key, r.kind, r.name, { ...pin, revoked: { at: now, by, reason: values.reason as string | undefined } });
              else continue;
              done.push(`${r.key} ${r.kind} ${r.name}`);
            }
            return done.length > 0;
          });
          if (!done.length) throw new CliError(`nothing to ${sub} for ${arg}${t.kind ? ` (${t.kind})` : ''}; see portcullis pins list`, 1);
          // Approved: no longer waiting. (A gateway re-observes anything still untrusted.)
          if (sub === 'approve') updatePinFile(paths.stateFile, (d) => { for (const r of found) setEntry(d.observed, r.key, r.kind, r.name, undefined); });
          for (const l of done) process.stdout.write(`${sub === 'approve' ? 'approved' : 'revoked'}: ${l}\n`);
          process.stdout.write(`written to ${trustFile}; running gateways apply it within a second\n`);
          return 0;
        }
        case 'lock': {
          const out = (values.out as string | undefined) ?? paths.lockfile;
          updatePinFile(out, (d) => {
            d.servers = structuredClone(trust.servers);
            d.observed = {};
          });
          process.stdout.write(`${found.length} pin(s) written to ${out}; commit it and set mcp.security.pinning.mode: lockfile\n`);
          return 0;
        }
        default:
          throw new CliError(`expected list, diff, approve, revoke or lock\n\n${usage}`);
      }
    } catch (err) {
      if (err instanceof StateFileError) throw new CliError(err.message, 1);
      throw err;
    }
  },
};
