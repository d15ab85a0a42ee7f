/**
 * The container image, checked as far as this machine allows. There is no Docker engine here, so
 * the image is never built by the suite (docs/deployment.md says what was built and run, and
 * what was not). What is checked instead:
 *
 * 1. The Dockerfile itself: a non-root numeric USER, the exec-form ENTRYPOINT on the bundled
 *    Node 24, the volumes, and that every path its build stage copies exists and passes
 *    .dockerignore.
 * 2. The runtime stage's filesystem, assembled the way the Dockerfile describes it and run under
 *    bubblewrap as the image's user (uid 10001, started by an unprivileged host user where it can
 *    read the checkout): the files
 *    the build stage copies, the production dependencies only (what `npm ci --omit=dev` keeps:
 *    package-lock.json entries without `dev`), the default configuration at
 *    /etc/portcullis/portcullis.yaml, a read-only root with the two volumes and /tmp writable.
 *    In it the image's own ENTRYPOINT and CMD (minus tini, which this host may not have) run
 *    `portcullis check` and `portcullis run`, and a real client calls a real server through it.
 *
 * The host's Debian stands in for the base image's /usr: the same release (bookworm), not the
 * same bytes.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { apiKeyClient, issueApiKey } from '../helpers/api-keys.ts';
import { freePort, readAudit, ROOT, startEverythingHttp, stopProcess, tempDir, textOf, type RunningChild } from '../helpers/gateway-process.ts';

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions by stage: continuation lines joined, comments dropped. */
function dockerfileStages(text: string): Instruction[][] {
  const logical: string[] = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue; // comments, also between continuation lines
    if (line.endsWith('\\')) {
      cur += line.slice(0, -1) + ' ';
      continue;
    }
    cur += line;
    if (cur.trim()) logical.push(cur.trim());
    cur = '';
  }
  const stages: Instruction[][] = [];
  for (const l of logical) {
    const [op, ...rest] = l.split(/\s+/);
    const ins = { op: op.toUpperCase(), args: rest.join(' ') };
    if (ins.op === 'FROM') stages.push([]);
    if (ins.op !== 'ARG' || stages.length) stages.at(-1)?.push(ins);
  }
  return stages;
}

const stages = dockerfileStages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const [buildStage, runtime] = stages;
const one = (st: Instruction[], op: string) => st.filter((i) => i.op === op);
/** `COPY [--flags] SRC... DEST` of the build stage, without --from. */
const buildCopies = one(buildStage, 'COPY').map((c) => c.args.split(/\s+/).filter((a) => !a.startsWith('--')));

test('the Dockerfile: two stages, a non-root user, the bundled Node 24 as entrypoint, volumes for state and log', () => {
  assert.equal(stages.length, 2);
  const user = one(runtime, 'USER').at(-1)?.args ?? '';
  assert.match(user, /^[1-9]\d*:[1-9]\d*$/, `a numeric non-root uid:gid (Kubernetes runAsNonRoot can verify it), got '${user}'`);
  const entry = JSON.parse(one(runtime, 'ENTRYPOINT')[0].args) as string[];
  assert.deepEqual(entry, ['/usr/bin/tini', '--', '/app/node_modules/node/bin/node', '/app/bin/portcullis.cjs']);
  assert.deepEqual(JSON.parse(one(runtime, 'VOLUME')[0].args), ['/var/lib/portcullis', '/var/log/portcullis']);
  assert.match(one(runtime, 'RUN')[0].args, /bubblewrap/);
  // Nothing after USER may need root: no package installs as the gateway's user.
  const afterUser = runtime.slice(runtime.findIndex((i) => i.op === 'USER'));
  assert.ok(!afterUser.some((i) => i.op === 'RUN'), 'no RUN after USER');
});

test('every path the build copies exists and is let through by .dockerignore', () => {
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  assert.equal(ignore[0], '*', 'an allowlist: everything else (state, keys, node_modules) stays out of the build context');
  const allowed = new Set(ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, '')));
  const sources = [...buildCopies.flatMap((c) => c.slice(0, -1)), ...one(runtime, 'COPY').filter((c) => !c.args.includes('--from')).map((c) => c.args.split(/\s+/)[0])];
  for (const src of sources) {
    assert.ok(existsSync(join(ROOT, src)), `${src} exists`);
    assert.ok(allowed.has(src) || allowed.has(src.split('/')[0]), `${src} is in the build context`);
  }
});

/** The `portcullis.cjs` process among a process's descendants (bubblewrap runs it as a grandchild). */
function gatewayPid(pid: number): number {
  const children = (p: number): number[] => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  for (const queue = [pid]; queue.length; ) {
    const p = queue.shift()!;
    const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
    if (argv[0] !== 'bwrap' && argv.some((a) => a.endsWith('/portcullis.cjs'))) return p;
    queue.push(...children(p));
  }
  throw new Error('the gateway process was not found');
}

const BWRAP = spawnSync('bwrap', ['--version']).status === 0;
const NOBODY = 65534;
/**
 * bubblewrap is started by an unprivileged host user when that user can read the checkout (it
 * may sit under a directory only root can enter, as in some CI layouts); else by this user. The
 * image's uid 10001 and read-only root are the same either way.
 */
const AS_NOBODY = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];
const hostUser = spawnSync(AS_NOBODY[0], [...AS_NOBODY.slice(1), 'test', '-r', join(ROOT, 'node_modules', 'node', 'package.json')]).status === 0 ? AS_NOBODY : [];
const hostUid = hostUser.length ? NOBODY : process.getuid!();

/** Production packages as `npm ci --omit=dev` installs them: top-level lock entries not marked dev. */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([p, meta]) => p.startsWith('node_modules/') && !p.slice('node_modules/'.length).includes('node_modules/') && !meta.dev)
    .map(([p]) => p)
    .filter((p) => existsSync(join(ROOT, p)));
}

describe('the runtime stage, assembled as the Dockerfile says and run as its user', { skip: BWRAP ? false : 'bubblewrap is not installed' }, () => {
  const dir = tempDir('portcullis-image-');
  const volumes = { state: join(dir, 'state'), log: join(dir, 'log') };
  let upstream: RunningChild;
  let port: number;
  let gateway: ChildProcess | undefined;
  const agent = issueApiKey('agent', 'agent');
  const entry = JSON.parse(one(runtime, 'ENTRYPOINT')[0].args) as string[];
  const cmd = JSON.parse(one(runtime, 'CMD')[0].args) as string[];

  /** argv that runs `argv` in the image's filesystem as uid 10001 (started by `hostUser`). */
  const inImage = (argv: string[], env: Record<string, string>): string[] => {
    const binds: string[] = [];
    for (const c of buildCopies) for (const src of c.slice(0, -1)) binds.push('--ro-bind', join(ROOT, src), join('/app', c.length > 2 || c.at(-1)!.endsWith('/') ? src : c.at(-1)!));
    for (const p of productionPackages()) binds.push('--ro-bind', join(ROOT, p), join('/app', p));
    const etc = ['passwd', 'group', 'hosts', 'resolv.conf', 'nsswitch.conf', 'ld.so.cache', 'ssl'].filter((f) => existsSync(join('/etc', f)));
    const config = join(dir, 'portcullis.yaml');
    return [
      ...hostUser,
      'bwrap', '--unshare-user', '--uid', '10001', '--gid', '10001', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent',
      ...['/usr', '/bin', '/sbin', '/lib', '/lib64'].filter((d) => existsSync(d)).flatMap((d) => ['--ro-bind', d, d]),
      '--tmpfs', '/etc', ...etc.flatMap((f) => ['--ro-bind', join('/etc', f), join('/etc', f)]), '--dir', '/etc/portcullis', '--ro-bind', config, '/etc/portcullis/portcullis.yaml', '--remount-ro', '/etc',
      '--tmpfs', '/app', ...binds, '--remount-ro', '/app',
      '--bind', volumes.state, '/var/lib/portcullis', '--bind', volumes.log, '/var/log/portcullis',
      '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--remount-ro', '/',
      '--chdir', '/var/lib/portcullis', '--clearenv', '--setenv', 'PATH', '/usr/local/bin:/usr/bin:/bin', '--setenv', 'HOME', '/var/lib/portcullis',
      ...Object.entries(env).flatMap(([k, v]) => ['--setenv', k, v]),
      ...argv,
    ];
  };
  const env = () => ({ UPSTREAM_URL: upstream.url, AGENT_KEY_HASH: /hash: (sha256:[0-9a-f]{64})/.exec(agent.yaml)![1], PUBLIC_HOST: `127.0.0.1:${port}` });
  /** The image's ENTRYPOINT without tini (`/usr/bin/tini --`), then `args`. */
  const portcullis = (args: string[]) => inImage([...entry.slice(2), ...args], env());

  before(async () => {
    chmodSync(dir, 0o755); // the unprivileged host user reads the configuration from it
    for (const v of Object.values(volumes)) {
      mkdirSync(v, { mode: 0o700 });
      chownSync(v, hostUid, hostUid);
    }
    upstream = await startEverythingHttp();
    await useFreePort();
  });
  /** The image's default configuration, on a port free a moment ago (tests share this machine's network). */
  const useFreePort = async () => {
    port = await freePort();
    writeFileSync(join(dir, 'portcullis.yaml'), readFileSync(join(ROOT, 'examples', 'container.yaml'), 'utf8').replace(/port: 9470/, `port: ${port}`));
  };
  after(async () => {
    if (gateway) await stopProcess(gateway);
    await upstream?.stop();
  });

  test('the root is read-only, the volumes and /tmp are writable, and the user is 10001', (t) => {
    t.diagnostic(`bubblewrap started by host uid ${hostUid}`);
    const probe = `const fs=require('node:fs');const w=(p)=>{try{fs.writeFileSync(p,'x');return 'writable'}catch(e){return e.code}};` +
      `console.log(JSON.stringify({uid:process.getuid(),app:w('/app/x'),etc:w('/etc/portcullis/x'),root:w('/x'),state:w('/var/lib/portcullis/x'),log:w('/var/log/portcullis/x'),tmp:w('/tmp/x')}))`;
    const argv = inImage([entry[2], '-e', probe], {});
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const seen = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(seen.uid, 10001);
    for (const p of ['app', 'etc', 'root']) assert.match(String(seen[p]), /^(EROFS|EACCES)$/, `${p} must not be writable: ${seen[p]}`);
    for (const p of ['state', 'log', 'tmp']) assert.equal(seen[p], 'writable', p);
  });

  test("the image's ENTRYPOINT runs `portcullis check` on its default configuration", () => {
    const argv = portcullis(['check', '--config', cmd[cmd.indexOf('--config') + 1]]);
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /valid \(1 server\(s\)\)/);
  });

  test('its ENTRYPOINT and CMD serve a real client in front of a real server; audit and state land on the volumes', async (t) => {
    let out = '';
    // Another process may take the port between freePort() and the bind: then a new one.
    for (let attempt = 1; !/listening on/.test(out); attempt++) {
      await useFreePort();
      const argv = portcullis(cmd);
      gateway = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      out = '';
      gateway.stdout!.on('data', (c) => (out += c));
      gateway.stderr!.on('data', (c) => (out += c));
      const t0 = Date.now();
      while (!/listening on/.test(out) && gateway.exitCode === null && gateway.signalCode === null) {
        assert.ok(Date.now() - t0 < 30_000, `the gateway did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(/listening on/.test(out) || (attempt < 3 && /EADDRINUSE/.test(out)), `the gateway did not start:\n${out}`);
    }
    const client = await apiKeyClient(`http://127.0.0.1:${port}/mcp`, agent.key);
    try {
      assert.match(textOf(await client.callTool({ name: 'echo', arguments: { message: 'from the container' } })), /from the container/);
    } finally {
      await client.close();
    }
    // In the image tini forwards `docker stop`'s SIGTERM to the gateway; bubblewrap does not, so
    // the test sends it to the gateway's own process (a descendant it started) and waits.
    const exited = new Promise<number | null>((r) => gateway!.once('exit', (code) => r(code)));
    const pid = gatewayPid(gateway!.pid!);
    process.kill(pid, 'SIGTERM');
    assert.equal(await exited, 0, `a clean shutdown (drain, flush, seal the audit chain):\n${out}`);
    gateway = undefined;
    const audit = readAudit(join(volumes.log, 'audit.log'));
    assert.ok(audit.some((r) => r.event === 'tool_invoked' && r.principal === 'agent' && r.decision === 'allow'), 'the audit log is on the log volume');
    assert.ok(existsSync(join(volumes.state, 'events.db')), 'the event store is on the state volume');
    const doctor = portcullis(['doctor']);
    const d = spawnSync(doctor[0], doctor.slice(1), { encoding: 'utf8' });
    t.diagnostic(`portcullis doctor in the assembled image (exit ${d.status}):\n${d.stdout}${d.stderr}`);
  });
});
