/**
 * `mcp.security.sandbox` (and each server's override): how Portcullis contains the stdio servers it
 * starts (src/sandbox/). Part of the configuration schema, the single source of truth.
 *
 * The override form has every key optional and nothing defaulted: an override sets only what it
 * names. (With defaults, a per-server `{ memoryLimit: 256m }` would quietly reset `enabled` to
 * false and run that server unsandboxed.)
 */
import { z } from 'zod';
import { overrideOf } from './override-schema.ts';

const size = (what: string) => z.string().regex(/^\d+[kmg]?$/i, `${what}: a size such as 512m (k, m, g: KiB, MiB, GiB)`);

/**
 * An absolute path, bound at the same place inside the sandbox. The seed writes directories as
 * `/workspace/*`: a trailing `/*` or `/**` means the directory itself; no other glob is allowed.
 */
const boundPath = z
  .string()
  .regex(/^\/[^*?[\]{}]*?(?:\/\*{1,2})?$/, 'an absolute path (a trailing /* or /** means the directory; no other wildcards)');

const sandboxPathSchema = z.union([
  boundPath,
  z.strictObject({ path: boundPath, writable: z.boolean().default(false).describe('Bound read-write (default read-only).') }),
]);

/** `host`, `host:port`, `*.example.com` (any subdomain), an IPv4 literal, or `[v6]:port`. */
const hostPattern = z
  .string()
  .regex(/^(?:(?:\*\.)?[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i, 'a host, host:port, *.domain or [ipv6]:port');

export const sandboxSchema = z.strictObject({
  enabled: z.boolean().default(false).describe('Run every stdio server of this scope in a sandbox.'),
  required: z
    .boolean()
    .default(true)
    .describe('When the backend is missing: true refuses to start the server; false runs it unsandboxed and warns on every start.'),
  container: z
    .enum(['bubblewrap', 'docker', 'podman'])
    .default('bubblewrap')
    .describe('The backend. `bubblewrap` (Linux, no daemon) or an OCI engine that answers (`docker`, `podman`, which need `image`).'),
  image: z.string().optional().describe('docker/podman: the image the server runs in (its command runs inside it).'),
  network: z
    .enum(['none', 'host', 'allowlist'])
    .default('none')
    .describe('`none`: no network at all. `host`: the host network. `allowlist`: only `allowedHosts`, through a filtering HTTP proxy (HTTP_PROXY/HTTPS_PROXY).'),
  allowedHosts: z.array(hostPattern).optional().describe('`network: allowlist`: the hosts the server may reach (port 443 and 80 unless a port is given).'),
  capabilities: z
    .array(z.string().regex(/^(?:CAP_)?[A-Z_]+$/, 'a capability name such as NET_BIND_SERVICE'))
    .default([])
    .describe('Capabilities kept (inside the sandbox user namespace); every other is dropped.'),
  readOnlyRoot: z.boolean().default(true).describe('The sandbox root (its system directories are always read-only) cannot be written.'),
  memoryLimit: size('memoryLimit').optional().describe('cgroup v2 memory.max when delegated, else the memory watchdog: the PSS of all the sandbox\'s processes, polled, the sandbox killed over it (`portcullis doctor` says which).'),
  cpuLimit: z.number().positive().optional().describe('CPUs: cgroup v2 cpu.max when delegated, else pinned to ceil(cpuLimit) CPUs.'),
  timeoutSeconds: z
    .number()
    .positive()
    .optional()
    .describe('Per-call timeout; also lowers `mcp.timeouts.requestSeconds`. A server that stops answering after a timeout is killed and restarted.'),
  allowedPaths: z.array(sandboxPathSchema).optional().describe('Host paths bound in at the same place, read-only unless `writable`.'),
  tmpSize: size('tmpSize').default('64m').describe('Size of the private /tmp (tmpfs).'),
  maxProcesses: z.number().int().min(8).default(256).describe('Processes and threads in the sandbox (fork bombs).'),
  maxOpenFiles: z.number().int().min(16).default(1024).describe('Open file descriptors per process.'),
  maxFileSize: size('maxFileSize').default('1g').describe('Largest file a sandboxed process may write.'),
  maxOutputBytes: z
    .number()
    .int()
    .positive()
    .default(67_108_864)
    .describe('A server still writing one message past this many bytes is killed (messages over `maxContextSize` are already dropped unread).'),
  hostUid: z
    .number()
    .int()
    .min(1)
    .default(65534)
    .describe('When the gateway runs as root: the unprivileged host user the sandbox runs as (root escapes RLIMIT_NPROC).'),
  hostGid: z.number().int().min(1).default(65534).describe('When the gateway runs as root: the host group the sandbox runs as.'),
  passEnv: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/))
    .default([])
    .describe("Names of the gateway's environment variables passed in (beyond the minimal allowlist and the server's `env`)."),
});

export type SandboxConfig = z.infer<typeof sandboxSchema>;

/** Every key optional, nothing defaulted (see the header). */
export const sandboxOverrideSchema = overrideOf(sandboxSchema);

export const SANDBOX_DEFAULTS: SandboxConfig = sandboxSchema.parse({});
