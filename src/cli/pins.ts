/**
 * `portcullis pins list|diff|approve|revoke|lock`: the operator's side of pinning. It reads and
 * writes the pin stores only (src/pins/pin-store.ts: the files, or Redis when --config sets
 * `mcp.state.url`), so it works whether or not a gateway runs; running gateways pick a change up
 * within a second, audit it, and tell their clients to list again.
 */
import { userInfo } from 'node:os';
import { loadConfigFile } from '../config/load.ts';
import { configSchema } from '../config/schema.ts';
import { PIN_KINDS } from '../pins/pin-definition.ts';
import { decidePins, diffPins, listPins, lockPins, parsePinTarget, type PinTarget } from '../pins/pin-operations.ts';
import { pinPaths, pinStores, type PinStores } from '../pins/pin-store.ts';
import { StateFileError } from '../util/locked-json-file.ts';
import { CliError, loadOrExplain, parse, withStateConnection } from './common.ts';
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
  -c, --config FILE     the gateway's configuration (mcp.state.dir or mcp.state.url, mcp.security.pinning)
      --state-dir DIR   the state directory (default from --config, else ./portcullis-state)
  -h, --help            this help`;

export const pinsCommand: Command = {
  summary: 'tool/prompt/resource/server pins: list, diff, approve, revoke, lock',
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, { config: { type: 'string', short: 'c' }, 'state-dir': { type: 'string' }, kind: { type: 'string' }, reason: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } }, usage);
    const [sub, arg, extra] = positionals;
    if (extra !== undefined) throw new CliError(`one SERVER[__NAME] at a time\n\n${usage}`);
    const config = values.config ? loadOrExplain(() => loadConfigFile(values.config as string)).config : configSchema.parse({ mcp: {} });
    const stateDir = values['state-dir'] as string | undefined;
    const paths = pinPaths(config, stateDir);
    // With mcp.state.url the pin state is in Redis, shared by every replica (the lockfile stays a file).
    const shared = config.mcp.state.url && !stateDir ? config.mcp.state : undefined;
    const trustWhere = paths.mode === 'lockfile' ? paths.lockfile : shared ? `Redis (${config.mcp.state.url})` : paths.stateFile;
    let t: PinTarget;
    try {
      t = parsePinTarget(arg, values.kind as string | undefined);
    } catch (err) {
      throw new CliError(`--${(err as Error).message}`);
    }
    const by = `${userInfo().username} (portcullis pins)`;
    const withStores = <T>(fn: (p: PinStores) => Promise<T>): Promise<T> => {
      if (!shared) return fn(pinStores(config, { stateDir }));
      return withStateConnection(shared, (conn) => {
        const p = pinStores(config, { conn });
        return fn(p).finally(() => p.close());
      });
    };
    try {
      switch (sub) {
        case 'list': {
          const list = await withStores((p) => listPins(p, t));
          if (values.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
          else {
            process.stdout.write(`pins (${paths.mode}: ${trustWhere})\n`);
            for (const r of list) {
              process.stdout.write(`${r.state.padEnd(8)} ${r.server}  ${r.kind}  ${r.name}${r.origin === 'operator' ? '  (approved)' : ''}\n`);
              for (const f of r.findings) process.stdout.write(`         ${f.severity} ${f.rule} at ${f.path ?? '?'}: ${f.excerpt ?? ''}\n`);
            }
          }
          return 0;
        }
        case 'diff': {
          if (!t.key) throw new CliError(`diff needs SERVER[__NAME]\n\n${usage}`);
          const diffs = await withStores((p) => diffPins(p, t));
          for (const d of diffs) {
            process.stdout.write(`${d.server} ${d.kind} ${d.name}: ${d.state} (seen ${d.seenAt})\n  pinned:   ${d.pinnedHash ?? '(none)'}\n  observed: ${d.observedHash}\n`);
            for (const l of d.lines) process.stdout.write(`  ${l}\n`);
            for (const f of d.findings) process.stdout.write(`  finding: ${f.severity} ${f.rule} at ${f.path ?? '?'}: ${f.excerpt ?? ''}\n`);
          }
          if (!diffs.length) process.stdout.write(`nothing waiting for approval under ${arg}\n`);
          return 0;
        }
        case 'approve':
        case 'revoke': {
          if (!t.key) throw new CliError(`${sub} needs SERVER[__NAME]\n\n${usage}`);
          const done = await withStores((p) => decidePins(p, t, sub, { by, reason: values.reason as string | undefined }));
          if (!done.length) throw new CliError(`nothing to ${sub} for ${arg}${t.kind ? ` (${t.kind})` : ''}; see portcullis pins list`, 1);
          for (const l of done) process.stdout.write(`${sub === 'approve' ? 'approved' : 'revoked'}: ${l}\n`);
          process.stdout.write(`written to ${trustWhere}; running gateways apply it within a second${paths.mode === 'lockfile' && shared ? ' (each replica reads its own lockfile: commit it and deploy it to every replica)' : ''}\n`);
          return 0;
        }
        case 'lock': {
          const out = (values.out as string | undefined) ?? paths.lockfile;
          const n = await withStores((p) => lockPins(p, out));
          process.stdout.write(`${n} pin(s) written to ${out}; commit it and set mcp.security.pinning.mode: lockfile\n`);
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
