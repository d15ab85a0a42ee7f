/**
 * `network: allowlist`: which destinations the egress proxy lets a sandboxed server reach.
 *
 * An entry is `host` (ports 443 and 80), `host:port`, `*.example.com` (any subdomain, not the
 * apex), an IPv4 literal or `[v6]` literal, each optionally with a port. Names compare
 * case-insensitively without a trailing dot. After DNS, a name may not land on loopback,
 * link-local (169.254.169.254 is the cloud metadata service), unspecified or multicast
 * addresses: otherwise `evil.example` allowlisted by mistake, or a DNS answer that changes
 * (rebinding), would hand the server the gateway's own host. An IP literal in the list is taken
 * as the operator's explicit choice and is not second-guessed.
 */
import { isIP } from 'node:net';

export interface HostRule {
  host: string;
  wildcard: boolean;
  ports: number[];
  literal: boolean;
}

const DEFAULT_PORTS = [443, 80];

export function parseHostRule(entry: string): HostRule {
  let host = entry.trim().toLowerCase();
  let ports = DEFAULT_PORTS;
  const v6 = /^\[([0-9a-f:.]+)\](?::(\d+))?$/.exec(host);
  if (v6) {
    host = v6[1];
    if (v6[2]) ports = [Number(v6[2])];
  } else {
    const m = /^(.*?)(?::(\d+))?$/.exec(host)!;
    host = m[1];
    if (m[2]) ports = [Number(m[2])];
  }
  const wildcard = host.startsWith('*.');
  if (wildcard) host = host.slice(2);
  return { host: host.replace(/\.$/, ''), wildcard, ports, literal: isIP(host) !== 0 };
}

export class HostAllowlist {
  private readonly rules: HostRule[];

  constructor(entries: readonly string[]) {
    this.rules = entries.map(parseHostRule);
  }

  /** The rule that allows `host:port`, if any (before DNS). */
  match(host: string, port: number): HostRule | undefined {
    const h = host.toLowerCase().replace(/\.$/, '').replace(/^\[(.*)\]$/, '$1');
    return this.rules.find((r) => r.ports.includes(port) && (r.wildcard ? h.endsWith(`.${r.host}`) : h === r.host));
  }
}

/** Addresses a name from the allowlist must not resolve to (see the header). */
export function isForbiddenAddress(address: string): boolean {
  const v = isIP(address);
  if (v === 4) {
    const [a, b] = address.split('.').map(Number);
    return a === 0 || a === 127 || (a === 169 && b === 254) || a >= 224;
  }
  if (v === 6) {
    const x = address.toLowerCase();
    if (x === '::' || x === '::1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(x);
    if (mapped) return isForbiddenAddress(mapped[1]);
    return /^fe[89ab]/.test(x) || x.startsWith('ff');
  }
  return true;
}
