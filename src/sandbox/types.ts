/**
 * What every sandbox backend is given and gives back: the server to start, and a launch for the
 * stdio transport plus a report of what is in force (logged, audited as `sandbox_started`).
 */
import type { SandboxConfig } from '../config/sandbox-schema.ts';
import type { LaunchSpec } from '../upstream/stdio-transport.ts';
import type { EgressDecision } from './egress-proxy.ts';
import type { MemoryReading } from './memory-watchdog.ts';

export interface SandboxedServer {
  name: string;
  command: string;
  args: readonly string[];
  env?: Readonly<Record<string, string>>;
  cwd?: string;
}

export interface BackendInput {
  server: SandboxedServer;
  settings: SandboxConfig;
  /** The gateway's own environment (only the allowlist and `passEnv` cross into the sandbox). */
  baseEnv: NodeJS.ProcessEnv;
  onEgress?: (d: EgressDecision) => void;
  /** The memory watchdog found the sandbox over `limitBytes` (it is killed right after). */
  onMemoryExceeded?: (reading: MemoryReading, limitBytes: number) => void;
}

export interface SandboxReport {
  backend: string;
  isolation: string[];
  network: string;
  seccomp: string;
  limits: Record<string, string>;
  hostUser: string;
  paths: string[];
}

export interface SandboxLaunch {
  spec: LaunchSpec;
  report: SandboxReport;
}
