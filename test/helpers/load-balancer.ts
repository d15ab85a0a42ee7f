/**
 * A real load balancer in front of gateway replicas: Debian's HAProxy (`apt-get install haproxy`,
 * installed by .ci/run), round robin per request, no stickiness of any kind (no cookie, no source
 * hash, no `prefer-last-server`), health-checked on each replica's /healthz. A request whose
 * connection is refused (a replica just killed, not yet marked down) is retried on another one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Backend {
  /** host:port of the MCP listener. */
  address: string;
  /** Port of its admin listener (health checks on /healthz); none (on any backend): TCP checks. */
  healthPort?: number;
}

export interface LoadBalancer {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export function haproxyConfig(port: number, backends: Backend[]): string {
  return `global
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 300s
  timeout server 300s
  timeout http-keep-alive 2s
  retries 3
  option redispatch 1
  option forwardfor
frontend mcp
  bind 127.0.0.1:${port}
  default_backend replicas
backend replicas
  balance roundrobin
${backends.every((b) => b.healthPort) ? '  option httpchk GET /healthz\n' : ''}${backends.map((b, i) => `  server r${i + 1} ${b.address} check inter 500 fall 3 rise 1${b.healthPort ? ` port ${b.healthPort}` : ''}`).join('\n')}
`;
}

export async function startHaproxy(dir: string, port: number, backends: Backend[], path = '/mcp'): Promise<LoadBalancer> {
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, haproxyConfig(port, backends));
  const proc = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (c) => (err += c));
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`haproxy exited with ${proc.exitCode}: ${err}`);
    if (await listening(port)) break;
    if (i > 100) throw new Error(`haproxy did not listen on ${port}: ${err}`);
    await sleep(50);
  }
  // Health checks need `rise` rounds before a server takes traffic. A killed replica is not
  // waited for: a refused connection is retried on another server (retries, redispatch), and
  // `fall 3` keeps a replica that is merely slow on a loaded machine from flapping.
  await sleep(800);
  return {
    url: `http://127.0.0.1:${port}${path}`,
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}
