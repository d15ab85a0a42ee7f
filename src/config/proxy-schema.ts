/**
 * `mcp.listen.trustedProxies`: behind a load balancer every connection comes from the balancer,
 * so without this every anonymous caller shares one rate-limit bucket and one flow taint, and
 * the audit names the balancer. The forwarding header is believed only from these addresses.
 */
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';

/** `10.0.0.0/8`, `2001:db8::/32`, or a single address. */
export function parseCidr(s: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address, bits, extra] = s.split('/');
  const v = isIP(address ?? '');
  if (!v || extra !== undefined) return undefined;
  const max = v === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { address: address!, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}

/** The CIDRs as a node:net BlockList (matching is node's, not ours). */
export function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) {
    const p = parseCidr(c)!;
    list.addSubnet(p.address, p.prefix, p.family);
  }
  return list;
}

export const trustedProxyFields = {
  trustedProxies: z
    .array(z.string().refine((c) => parseCidr(c) !== undefined, { message: 'not an IP address or CIDR', params: { fix: 'write an address (10.0.0.7) or a CIDR (10.0.0.0/8, fd00::/8)' } }))
    .max(1000)
    .default([])
    .describe("Load balancers and reverse proxies (addresses or CIDRs) whose forwarding header names the caller. The caller's address (rate-limit and flow-taint keys of anonymous and 2026-07-28 callers, audit, alerts) is then the right-most address in that header that is not itself a trusted proxy. Empty: the socket's address, headers ignored."),
  forwardedHeader: z
    .enum(['x-forwarded-for', 'forwarded'])
    .default('x-forwarded-for')
    .describe('Which header the trusted proxies set: `X-Forwarded-For` or RFC 7239 `Forwarded` (for=). Only this one is read, so a client cannot pick the other one its proxy passes along untouched.'),
};
