/**
 * `portcullis doctor [--config FILE] [--json]`: what this host supports for sandboxing stdio
 * servers, found by trying it (src/sandbox/detect.ts), and which mechanism each limit will use.
 */
import { userInfo } from 'node:os';
import { loadConfigFile } from '../config/load.ts';
import { SANDBOX_DEFAULTS } from '../config/sandbox-schema.ts';
import { prepareDelegation } from '../sandbox/cgroup-v2.ts';
import { probeBwrap, probeCgroup, probeEngine, probeSeccomp, probeTool, probeUserNamespaces, type Probe } from '../sandbox/detect.ts';
import { planLimits } from '../sandbox/limits.ts';
import { sandboxReadiness, type Readiness } from '../sandbox/readiness.ts';
import { CliError, loadOrExplain, parse } from './common.ts';
import type { Command } from './main.ts';

const usage = `Usage: portcullis doctor [--config FILE] [--json]

Report what this host supports for sandboxing stdio MCP servers: bubblewrap, user namespaces,
seccomp, cgroup v2 delegation (else the memory watchdog and rlimits), util-linux prlimit/taskset,
docker and podman — each tried, not guessed — and which mechanism enforces each limit. With
--config, also whether the backend of every sandboxed server in that file is available here.

Exit 0 when the default backend (bubblewrap) works and every configured sandbox can start (or is
required: false); 1 otherwise.

Options:
  -c, --config FILE  also check the sandboxes this configuration asks for
      --json         machine-readable output
  -h, --help         this help`;

export const doctorCommand: Command = {
  summary: 'report what this host supports for sandboxing servers (bubblewrap, seccomp, cgroups, docker)',
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } }, usage);
    if (positionals.length) throw new CliError(`unexpected argument '${positionals[0]}'\n\n${usage}`);
    const checks: Record<string, Probe> = {
      platform: process.platform === 'linux' ? { ok: true, detail: `linux ${process.arch}` } : { ok: false, detail: `${process.platform}: bubblewrap needs Linux` },
      bubblewrap: probeBwrap(),
      userNamespaces: probeUserNamespaces(),
      seccomp: probeSeccomp(),
      cgroupV2: probeCgroup(),
      prlimit: probeTool('prlimit', 'sets rlimits inside the sandbox'),
      taskset: probeTool('taskset', 'cpuLimit without a cgroup'),
      docker: probeEngine('docker'),
      podman: probeEngine('podman'),
    };
    const root = process.getuid?.() === 0;
    const delegation = checks.cgroupV2.ok ? prepareDelegation() : undefined;
    const plan = planLimits({ ...SANDBOX_DEFAULTS, memoryLimit: '512m', cpuLimit: 1 }, { cgroupControllers: delegation?.controllers ?? new Set(), cpuCount: 2, cpuOffset: 0 });
    const mechanisms = {
      memory: plan.inForce.memory.replace(/^512m /, ''),
      processes: plan.inForce.processes.replace(/^256 /, ''),
      cpu: plan.cgroup?.cpuMax ? '(cgroup v2 cpu.max)' : '(CPU affinity: ceil(cpuLimit) CPUs; no cgroup v2 cpu controller)',
      tmp: 'private tmpfs, nosuid,nodev, size-capped; NOT noexec (bubblewrap has no tmpfs mount options; docker/podman mount it noexec)',
      hostUser: root ? `the gateway runs as root (${userInfo().username}): sandboxes run as host uid/gid sandbox.hostUid/hostGid (default 65534)` : `sandboxes run as this user (uid ${process.getuid?.()})`,
    };
    let readiness: Readiness[] | undefined;
    if (values.config) readiness = sandboxReadiness(loadOrExplain(() => loadConfigFile(values.config as string)));
    const ready = checks.bubblewrap.ok && checks.seccomp.ok && checks.prlimit.ok && (readiness ?? []).every((r) => r.ok || !r.required);
    if (values.json) {
      process.stdout.write(JSON.stringify({ ready, checks, mechanisms, config: readiness }, null, 2) + '\n');
      return ready ? 0 : 1;
    }
    const out = ['portcullis doctor — sandboxing on this host', ''];
    for (const [k, p] of Object.entries(checks)) out.push(`  ${p.ok ? 'ok  ' : 'NO  '} ${k.padEnd(15)} ${p.detail}`);
    out.push('', 'limits will be enforced by:');
    for (const [k, v] of Object.entries(mechanisms)) out.push(`  ${k.padEnd(10)} ${v}`);
    if (readiness) {
      out.push('', `configured sandboxes (${values.config}):`);
      if (!readiness.length) out.push('  none enabled');
      for (const r of readiness) out.push(`  ${r.ok ? 'ok  ' : 'NO  '} ${r.path}: ${r.container} → ${r.outcome}`);
    }
    const hint = checks.bubblewrap.ok ? 'see the lines marked NO' : 'install bubblewrap (apt-get install bubblewrap) and see the lines marked NO';
    out.push('', ready ? 'ready: stdio servers can be sandboxed here' : `NOT ready: ${hint}`);
    process.stdout.write(out.join('\n') + '\n');
    return ready ? 0 : 1;
  },
};
