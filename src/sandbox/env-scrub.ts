/**
 * The environment a sandboxed server starts with: a short allowlist, the names the operator
 * passes on (`passEnv`), and the server's own configured `env`. Nothing else of the gateway's
 * environment crosses: the gateway's own secrets (tokens, database URLs, cloud credentials in
 * AWS_*, SSH_AUTH_SOCK pointing at an agent socket) are not the server's business, even in
 * `wrap` mode where an unsandboxed server inherits everything.
 *
 * PATH, HOME and TMPDIR are the sandbox's, not the host's: the host's point at directories that
 * are not bound in.
 */

/** Passed through from the gateway's environment when set: locale, terminal and time zone only. */
export const SANDBOX_ENV_ALLOWLIST = ['LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'LC_MESSAGES', 'TERM', 'TZ', 'NO_COLOR'] as const;

export const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const SANDBOX_HOME = '/tmp';

export interface SandboxEnvInput {
  /** The gateway's environment. */
  base: NodeJS.ProcessEnv;
  /** `sandbox.passEnv`. */
  passEnv: readonly string[];
  /** The server's configured `env` (wins over everything but the proxy variables). */
  serverEnv?: Readonly<Record<string, string>>;
  /** Set by the sandbox itself (proxy variables): these cannot be overridden by configuration. */
  fixed?: Readonly<Record<string, string>>;
}

export function sandboxEnv(i: SandboxEnvInput): Record<string, string> {
  const env: Record<string, string> = { PATH: SANDBOX_PATH, HOME: SANDBOX_HOME, TMPDIR: '/tmp', USER: 'mcp', LOGNAME: 'mcp', SHELL: '/bin/sh' };
  for (const k of [...SANDBOX_ENV_ALLOWLIST, ...i.passEnv]) {
    const v = i.base[k];
    if (v !== undefined) env[k] = v;
  }
  Object.assign(env, i.serverEnv, i.fixed);
  return env;
}
