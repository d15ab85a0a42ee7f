/**
 * The gateway side of `network: allowlist`: a filtering HTTP proxy on a unix socket.
 *
 * The sandbox has its own network namespace with nothing but loopback, so the server has no route
 * anywhere. The one way out is this proxy's socket, bound into the sandbox; a bridge inside
 * (egress-bridge.ts) exposes it as 127.0.0.1:3128 and the server gets HTTP_PROXY/HTTPS_PROXY.
 * Each request names its destination (`CONNECT host:port` for TLS, an absolute URL for plain
 * HTTP); the proxy checks it against `allowedHosts`, resolves the name itself, refuses names
 * that land on loopback/link-local/metadata addresses, connects to the address it checked (no
 * second lookup to race), and then only relays bytes. A connection is pinned to the one
 * destination it was allowed for; later requests on it cannot reach another host.
 *
 * Limits: HTTP(S) only (a client that ignores proxy variables, or speaks another protocol, gets
 * nothing); the allowlist is by name and port, not by URL path; TLS is not inspected.
 */
import { lookup } from 'node:dns/promises';
import { chmodSync } from 'node:fs';
import { connect, createServer, isIP, type Server, type Socket } from 'node:net';
import { HostAllowlist, isForbiddenAddress } from './host-allowlist.ts';

const MAX_HEAD_BYTES = 16 * 1024;
const HEAD_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 10_000;
const IDLE_TIMEOUT_MS = 5 * 60_000;
const MAX_CONNECTIONS = 64;

export interface EgressDecision {
  host: string;
  port: number;
  allowed: boolean;
  reason: string;
}

export interface EgressProxyOptions {
  socketPath: string;
  allowedHosts: readonly string[];
  /** Every decision (the gateway audits refusals). */
  onDecision?: (d: EgressDecision) => void;
}

export class EgressProxy {
  private readonly server: Server;
  private readonly allow: HostAllowlist;
  private readonly opts: EgressProxyOptions;
  private readonly sockets = new Set<Socket>();

  private constructor(opts: EgressProxyOptions) {
    this.opts = opts;
    this.allow = new HostAllowlist(opts.allowedHosts);
    this.server = createServer((c) => this.handle(c));
    this.server.maxConnections = MAX_CONNECTIONS;
  }

  static async start(opts: EgressProxyOptions): Promise<EgressProxy> {
    const p = new EgressProxy(opts);
    await new Promise<void>((resolve, reject) => {
      p.server.once('error', reject);
      p.server.listen(opts.socketPath, () => resolve());
    });
    // The sandbox may run as another host user (a root gateway's sandboxes run as nobody); the
    // directory holding the socket is what keeps other host users out.
    chmodSync(opts.socketPath, 0o666);
    return p;
  }

  close(): void {
    this.server.close();
    for (const s of this.sockets) s.destroy();
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
  }

  private handle(client: Socket): void {
    this.track(client);
    let head = Buffer.alloc(0);
    client.setTimeout(HEAD_TIMEOUT_MS, () => client.destroy());
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (head.length > MAX_HEAD_BYTES) refuse(client, 431, 'Request Header Fields Too Large');
        return;
      }
      client.off('data', onData);
      client.pause();
      void this.route(client, head.subarray(0, end + 4), head.subarray(end + 4));
    };
    client.on('data', onData);
  }

  private async route(client: Socket, head: Buffer, rest: Buffer): Promise<void> {
    const text = head.toString('latin1');
    const line = text.slice(0, text.indexOf('\r\n'));
    const target = parseTarget(line);
    if (!target) return refuse(client, 400, 'Bad Request');
    const decide = (allowed: boolean, reason: string) => this.opts.onDecision?.({ host: target.host, port: target.port, allowed, reason });
    const rule = this.allow.match(target.host, target.port);
    if (!rule) {
      decide(false, 'not in allowedHosts');
      return refuse(client, 403, 'Forbidden');
    }
    let address = target.host.replace(/^\[(.*)\]$/, '$1');
    if (!isIP(address)) {
      try {
        const all = await lookup(address, { all: true });
        const bad = all.find((a) => isForbiddenAddress(a.address));
        if (bad || all.length === 0) {
          decide(false, bad ? `resolves to ${bad.address} (loopback, link-local, metadata or multicast)` : 'does not resolve');
          return refuse(client, 403, 'Forbidden');
        }
        address = all[0].address;
      } catch (err) {
        decide(false, `DNS: ${(err as Error).message}`);
        return refuse(client, 502, 'Bad Gateway');
      }
    }
    const upstream = connect({ host: address, port: target.port });
    this.track(upstream);
    upstream.setTimeout(CONNECT_TIMEOUT_MS, () => upstream.destroy());
    upstream.once('error', () => refuse(client, 502, 'Bad Gateway'));
    upstream.once('connect', () => {
      decide(true, `allowed by '${rule.wildcard ? '*.' : ''}${rule.host}'`);
      upstream.removeAllListeners('error');
      upstream.on('error', () => client.destroy());
      client.setTimeout(IDLE_TIMEOUT_MS, () => client.destroy());
      upstream.setTimeout(IDLE_TIMEOUT_MS, () => upstream.destroy());
      if (target.connect) client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      else upstream.write(Buffer.concat([Buffer.from(originHead(target.originLine, text), 'latin1'), rest]));
      if (target.connect && rest.length) upstream.write(rest);
      client.pipe(upstream);
      upstream.pipe(client);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
      client.resume();
    });
  }
}

interface Target {
  host: string;
  port: number;
  connect: boolean;
  /** Plain HTTP: the request line rewritten to origin form (`GET /path HTTP/1.1`). */
  originLine: string;
}

export function parseTarget(line: string): Target | undefined {
  const m = /^([A-Z]+) (\S+) (HTTP\/1\.[01])$/.exec(line);
  if (!m) return undefined;
  const [, method, uri, version] = m;
  if (method === 'CONNECT') {
    const hp = /^(\[[0-9a-fA-F:.]+\]|[^:/\s]+):(\d{1,5})$/.exec(uri);
    if (!hp) return undefined;
    return { host: hp[1], port: Number(hp[2]), connect: true, originLine: '' };
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' || url.username || url.password) return undefined;
  return { host: url.hostname, port: Number(url.port || 80), connect: false, originLine: `${method} ${url.pathname}${url.search} ${version}` };
}

/**
 * Plain HTTP: the request in origin form, with `Connection: close`. The connection is pinned to
 * the host it was allowed for; closing it after one exchange makes the client open a new one
 * (checked again) for its next request instead of sending it, meant for another host, here.
 */
function originHead(originLine: string, head: string): string {
  const headers = head
    .split('\r\n')
    .slice(1)
    .filter((h) => h && !/^(connection|proxy-connection|keep-alive|proxy-authorization):/i.test(h));
  return [originLine, ...headers, 'Connection: close', '', ''].join('\r\n');
}

function refuse(client: Socket, status: number, text: string): void {
  if (client.destroyed) return;
  client.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
}
