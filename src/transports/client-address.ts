/**
 * Who is calling, as far as the gateway can tell: the socket's peer, or, when that peer is a
 * trusted proxy (`mcp.listen.trustedProxies`), the address its forwarding header names.
 *
 * The header is read right to left: each proxy appends the address it received the request from,
 * so the right-most entries are the ones our own proxies wrote. Entries from trusted proxies are
 * skipped; the first one that is not trusted is the caller. Anything to its left was written by
 * the caller and is never believed. An entry that is not an address stops the walk at the proxy
 * that wrote it (a garbled header cannot choose the caller's key).
 *
 * The result is the session's `connection` (`http:ADDRESS:PORT`, the port the socket's): the key
 * of anonymous callers' rate-limit buckets and flow taint, and what audit records and alerts name.
 */
import type { IncomingMessage } from 'node:http';
import { isIP, type BlockList } from 'node:net';
import { blockListOf } from '../config/proxy-schema.ts';

export interface ProxySettings {
  trustedProxies: readonly string[];
  forwardedHeader: 'x-forwarded-for' | 'forwarded';
}

/** A forwarding entry as an address: `[v6]:port`, `v4:port` and quotes taken off; undefined if not one. */
function addressOf(raw: string): string | undefined {
  let s = raw.trim().replace(/^"|"$/g, '');
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (bracket) s = bracket[1]!;
  else if (/^[\d.]+:\d+$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  return isIP(s) ? s : undefined;
}

/** `for=` values of a Forwarded header (RFC 7239), in order. */
function forwardedFor(header: string): string[] {
  const out: string[] = [];
  for (const element of header.split(',')) {
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq > 0 && pair.slice(0, eq).trim().toLowerCase() === 'for') out.push(pair.slice(eq + 1));
    }
  }
  return out;
}

/** IPv4-mapped IPv6 (`::ffff:10.0.0.1`, what a dual-stack socket reports) as IPv4. */
const plain = (a: string): string => (a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a);

export class ClientAddress {
  private readonly trusted: BlockList | undefined;
  private readonly header: ProxySettings['forwardedHeader'];

  constructor(s: ProxySettings) {
    this.trusted = s.trustedProxies.length ? blockListOf(s.trustedProxies) : undefined;
    this.header = s.forwardedHeader;
  }

  private isTrusted(a: string): boolean {
    return this.trusted!.check(a, isIP(a) === 6 ? 'ipv6' : 'ipv4');
  }

  /** The caller's address. */
  address(req: IncomingMessage): string {
    let hop = plain(req.socket.remoteAddress ?? '');
    if (!this.trusted || !hop || !this.isTrusted(hop)) return hop;
    const raw = req.headers[this.header];
    const text = Array.isArray(raw) ? raw.join(',') : raw;
    if (!text) return hop;
    const entries = this.header === 'forwarded' ? forwardedFor(text) : text.split(',');
    for (let i = entries.length - 1; i >= 0; i--) {
      const a = addressOf(entries[i]!);
      if (a === undefined) return hop;
      hop = plain(a);
      if (!this.isTrusted(hop)) return hop;
    }
    return hop; // every hop trusted: the left-most is as far as anyone can tell
  }

  /** The session's `connection`: `http:ADDRESS:PORT`. */
  connection(req: IncomingMessage): string {
    return `http:${this.address(req)}:${req.socket.remotePort}`;
  }
}
