/**
 * Is an address one a server must not be steered to (SSRF)? Loopback, private, link-local (which
 * holds the cloud metadata endpoint 169.254.169.254), shared/CGNAT (Alibaba's 100.100.100.200),
 * unique-local IPv6 (AWS's fd00:ec2::254), multicast, reserved and documentation ranges.
 *
 * IPv6 forms that carry an IPv4 address are unwrapped and judged by it: IPv4-mapped
 * (`::ffff:127.0.0.1`), IPv4-compatible (`::127.0.0.1`), NAT64 (`64:ff9b::/96`), 6to4
 * (`2002::/16`) and Teredo (`2001::/32`, server and de-obfuscated client). Callers pass
 * canonical literals (the WHATWG URL parser has already turned `2130706433`, `0x7f.1` and
 * `0177.0.0.1` into `127.0.0.1`; `dns.lookup` returns canonical addresses).
 */
import { isIPv4, isIPv6 } from 'node:net';

type Range4 = [number, number, string]; // network, prefix length, name

const V4: Range4[] = [
  [ip4('0.0.0.0'), 8, 'this-network'],
  [ip4('10.0.0.0'), 8, 'private'],
  [ip4('100.64.0.0'), 10, 'shared (CGNAT, cloud metadata)'],
  [ip4('127.0.0.0'), 8, 'loopback'],
  [ip4('169.254.0.0'), 16, 'link-local (cloud metadata)'],
  [ip4('172.16.0.0'), 12, 'private'],
  [ip4('192.0.0.0'), 24, 'IETF protocol assignments'],
  [ip4('192.0.2.0'), 24, 'documentation'],
  [ip4('192.88.99.0'), 24, '6to4 relay'],
  [ip4('192.168.0.0'), 16, 'private'],
  [ip4('198.18.0.0'), 15, 'benchmarking'],
  [ip4('198.51.100.0'), 24, 'documentation'],
  [ip4('203.0.113.0'), 24, 'documentation'],
  [ip4('224.0.0.0'), 4, 'multicast'],
  [ip4('240.0.0.0'), 4, 'reserved'],
];

function ip4(s: string): number {
  const p = s.split('.').map(Number);
  return ((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3];
}

function classify4(n: number): string | undefined {
  for (const [net, len, name] of V4) {
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    if (((n & mask) >>> 0) === net) return name;
  }
  return undefined;
}

/** Eight 16-bit groups; handles `::`, an embedded dotted quad and a zone id. */
function expand6(addr: string): number[] | undefined {
  let a = addr.replace(/^\[|\]$/g, '');
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  if (!isIPv6(a)) return undefined;
  const lastColon = a.lastIndexOf(':');
  const tail = a.slice(lastColon + 1);
  if (tail.includes('.')) {
    const n = ip4(tail);
    a = `${a.slice(0, lastColon + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, rest] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const fill = rest === undefined ? [] : new Array(8 - h.length - r.length).fill('0');
  const groups = [...h, ...fill, ...r].map((g) => parseInt(g, 16));
  return groups.length === 8 ? groups : undefined;
}

const v4From = (hi: number, lo: number): number => ((hi << 16) >>> 0) + lo;

function classify6(g: number[]): string | undefined {
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 8)) return 'unspecified';
  if (zeros(0, 7) && g[7] === 1) return 'loopback';
  if (zeros(0, 5) && g[5] === 0xffff) return embedded(v4From(g[6], g[7]), 'IPv4-mapped');
  if (zeros(0, 6)) return embedded(v4From(g[6], g[7]), 'IPv4-compatible');
  if (g[0] === 0x64 && g[1] === 0xff9b && (zeros(2, 6) || g[2] === 1)) return embedded(v4From(g[6], g[7]), 'NAT64');
  if (g[0] === 0x2002) return embedded(v4From(g[1], g[2]), '6to4');
  if (g[0] === 0x2001 && g[1] === 0) {
    return embedded(v4From(g[2], g[3]), 'Teredo server') ?? embedded((v4From(g[6], g[7]) ^ 0xffffffff) >>> 0, 'Teredo client');
  }
  if ((g[0] & 0xfe00) === 0xfc00) return 'unique-local (private, cloud metadata)';
  if ((g[0] & 0xffc0) === 0xfe80) return 'link-local';
  if ((g[0] & 0xffc0) === 0xfec0) return 'site-local';
  if ((g[0] & 0xff00) === 0xff00) return 'multicast';
  if (g[0] === 0x2001 && g[1] === 0x0db8) return 'documentation';
  if (g[0] === 0x0100 && zeros(1, 4)) return 'discard';
  return undefined;
}

function embedded(v4: number, how: string): string | undefined {
  const c = classify4(v4);
  return c ? `${how} ${c}` : undefined;
}

/** The name of the non-public range an address is in, or undefined for a public address. */
export function nonPublicRange(address: string): string | undefined {
  if (isIPv4(address)) return classify4(ip4(address));
  const g = expand6(address);
  if (g) return classify6(g);
  return 'not an IP address';
}

export function isIpLiteral(host: string): boolean {
  return isIPv4(host) || isIPv6(host.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
}
