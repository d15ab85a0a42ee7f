/**
 * Where a server's `sandbox` settings become a launch: pick the backend, make sure it is there,
 * and say — in the log and the audit — what is in force at every start.
 *
 * A missing backend never silently means "unsandboxed": with `required: true` (the default) the
 * server refuses to start (`sandbox_refused`, and its calls fail UPSTREAM_UNAVAILABLE); with
 * `required: false` it runs unsandboxed, with the sandbox's scrubbed environment, and every start
 * logs a warning and audits `sandbox_started` with `sandboxed: false`. A mistake in the settings
 * themselves (a path that does not exist, a cwd outside the sandbox) refuses in both cases: that
 * is not a missing backend, and running the server anyway would hide it.
 */
import type { AuditLog } from '../audit/audit-log.ts';
import { GatewayError } from '../errors.ts';
import type { LaunchSpec } from '../upstream/stdio-transport.ts';
import { bubblewrapLaunch } from './bubblewrap.ts';
import { engineLaunch } from './container-engine.ts';
import { probeBwrap, probeEngine, type BwrapInfo, type Probe } from './detect.ts';
import type { EgressDecision } from './egress-proxy.ts';
import type { MemoryReading } from './memory-watchdog.ts';
import { sandboxEnv } from './env-scrub.ts';
import { SandboxSetupError } from './host-access.ts';
import type { BackendInput, SandboxLaunch, SandboxReport } from './types.ts';

export interface LauncherOptions {
  audit: AuditLog;
  log: (line: string) => void;
  baseEnv?: NodeJS.ProcessEnv;
}

const ENGINE_CACHE_MS = 60_000;

export class SandboxLauncher {
  private readonly opts: LauncherOptions;
  private bwrap?: BwrapInfo;
  private readonly engines = new Map<string, { probe: Probe; at: number }>();

  constructor(opts: LauncherOptions) {
    this.opts = opts;
  }

  /** Is the backend there? A working one is remembered; a missing one is asked again next start. */
  backend(container: BackendInput['settings']['container']): Probe & { bwrap?: BwrapInfo } {
    if (container === 'bubblewrap') {
      if (!this.bwrap?.ok) this.bwrap = probeBwrap();
      return { ...this.bwrap, bwrap: this.bwrap };
    }
    const cached = this.engines.get(container);
    if (cached?.probe.ok && Date.now() - cached.at < ENGINE_CACHE_MS) return cached.probe;
    const probe = probeEngine(container);
    this.engines.set(container, { probe, at: Date.now() });
    return probe;
  }

  async launch(input: Omit<BackendInput, 'baseEnv' | 'onEgress' | 'onMemoryExceeded'>): Promise<LaunchSpec> {
    const { server, settings: s } = input;
    const full: BackendInput = {
      ...input,
      baseEnv: this.opts.baseEnv ?? process.env,
      onEgress: (d) => this.egress(server.name, d),
      onMemoryExceeded: (r, limitBytes) => this.memoryExceeded(server.name, r, limitBytes),
    };
    const probe = this.backend(s.container);
    if (!probe.ok) {
      if (s.required) {
        this.refuse(server.name, `sandbox backend ${s.container} unavailable: ${probe.detail}`, 'install it (see `portcullis doctor`), or set sandbox.required: false to run unsandboxed');
      }
      const warning = `WARNING: server '${server.name}' runs UNSANDBOXED: ${s.container} unavailable (${probe.detail}); sandbox.required is false`;
      this.opts.log(warning);
      this.opts.audit.emit({ event: 'sandbox_started', server: server.name, decision: 'error', reason: warning, detail: { sandboxed: false, backend: s.container } });
      return { command: server.command, args: [...server.args], cwd: server.cwd, env: sandboxEnv({ base: full.baseEnv, passEnv: s.passEnv, serverEnv: server.env }) };
    }
    let launch: SandboxLaunch;
    try {
      launch = s.container === 'bubblewrap' ? await bubblewrapLaunch(full, probe.bwrap) : await engineLaunch(s.container, full);
    } catch (err) {
      if (err instanceof SandboxSetupError) this.refuse(server.name, err.message, err.fix);
      throw err;
    }
    this.opts.log(`server '${server.name}' sandboxed: ${describe(launch.report)}`);
    this.opts.audit.emit({ event: 'sandbox_started', server: server.name, decision: 'allow', detail: { sandboxed: true, ...launch.report } });
    return launch.spec;
  }

  private refuse(server: string, reason: string, fix: string): never {
    this.opts.log(`server '${server}' NOT started: ${reason}\n  fix: ${fix}`);
    this.opts.audit.emit({ event: 'sandbox_refused', server, decision: 'deny', reason, detail: { fix } });
    throw new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${server}' is unavailable`, { detail: `sandbox: ${reason}` });
  }

  private memoryExceeded(server: string, r: MemoryReading, limitBytes: number): void {
    const reason = `${Math.round(r.bytes / 1024 ** 2)} MiB (${r.measure.toUpperCase()}, ${r.processes} process(es)) over the memory limit of ${Math.round(limitBytes / 1024 ** 2)} MiB`;
    this.opts.log(`server '${server}': ${reason}; the sandbox is killed`);
    this.opts.audit.emit({ event: 'sandbox_memory_exceeded', server, decision: 'deny', reason, detail: { usedBytes: r.bytes, limitBytes, processes: r.processes, measure: r.measure, mechanism: 'watchdog' } });
  }

  private egress(server: string, d: EgressDecision): void {
    if (d.allowed) return;
    this.opts.log(`server '${server}': egress to ${d.host}:${d.port} refused (${d.reason})`);
    this.opts.audit.emit({ event: 'policy_violation', server, decision: 'deny', rule: 'sandbox.allowedHosts', reason: `egress to ${d.host}:${d.port} refused: ${d.reason}` });
  }
}

export function describe(r: SandboxReport): string {
  const limits = Object.entries(r.limits)
    .map(([k, v]) => `${k} ${v}`)
    .join('; ');
  return `${r.backend}; ${r.isolation.join(', ')}; network ${r.network}; seccomp ${r.seccomp}; limits: ${limits}; runs as ${r.hostUser}; paths: ${r.paths.join(', ') || 'none'}`;
}
