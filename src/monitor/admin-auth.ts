/**
 * Who may use the admin listener: a caller with `Authorization: Bearer <token>` (the CLI,
 * scripts), or a console session made by signing in with that same token.
 *
 * The configuration holds only the token's SHA-256, compared in constant time. Signing in sets
 * a session cookie (random 256 bits; HttpOnly, SameSite=Strict, Path=/, Secure under TLS) kept
 * in memory only: a restart signs everyone out. A cookie travels with every request the browser
 * makes, so every state-changing request made with one must also carry the session's CSRF token
 * in `x-portcullis-csrf` (a header a cross-site form cannot set; compared in constant time) and,
 * when the browser sends Origin, come from this listener's own origin. Failed sign-ins are
 * limited per address (LOGIN_FAILURES a minute) so the token cannot be guessed through the form.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

const MAX_TOKEN = 1024;
export const COOKIE = 'portcullis_console';
const SESSION_TTL_MS = 8 * 3600_000;
const MAX_SESSIONS = 200;
const LOGIN_FAILURES = 10;
const MAX_TRACKED_ADDRESSES = 10_000;

/** `sha256:<hex>` of a token, as `mcp.admin.tokenHash` holds it. */
export const hashToken = (token: string): string => `sha256:${createHash('sha256').update(token).digest('hex')}`;

export function tokenMatches(token: string, tokenHash: string): boolean {
  if (token.length === 0 || token.length > MAX_TOKEN) return false;
  // Both sides are SHA-256 digests of equal length: the comparison leaks nothing about the token.
  const given = createHash('sha256').update(token).digest();
  const expected = Buffer.from(tokenHash.slice('sha256:'.length), 'hex');
  return expected.length === given.length && timingSafeEqual(given, expected);
}

export function bearerAuthorized(req: IncomingMessage, tokenHash: string): boolean {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || h.length > MAX_TOKEN + 7) return false;
  const m = /^Bearer (\S+)$/.exec(h);
  return m !== null && tokenMatches(m[1], tokenHash);
}

const sameSecret = (a: string, b: string): boolean => {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
};

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  const h = req.headers.cookie;
  if (typeof h !== 'string' || h.length > 8192) return undefined;
  for (const part of h.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

export const isTls = (req: IncomingMessage): boolean => Boolean((req.socket as TLSSocket).encrypted);

export interface ConsoleSession {
  id: string;
  csrf: string;
  expires: number;
  remote: string;
}

export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();
  private readonly failures = new Map<string, { count: number; since: number }>();

  /** A failed sign-in from this address; true while it may still try. */
  private allowAttempt(remote: string, now: number): boolean {
    const f = this.failures.get(remote);
    if (!f || now - f.since > 60_000) return true;
    return f.count < LOGIN_FAILURES;
  }

  /** Checks the token; returns a new session, 'refused', or 'throttled'. */
  signIn(token: string, tokenHash: string, remote: string, now = Date.now()): ConsoleSession | 'refused' | 'throttled' {
    if (!this.allowAttempt(remote, now)) return 'throttled';
    if (!tokenMatches(token, tokenHash)) {
      const f = this.failures.get(remote);
      if (!f || now - f.since > 60_000) {
        if (this.failures.size >= MAX_TRACKED_ADDRESSES) this.failures.delete(this.failures.keys().next().value!);
        this.failures.set(remote, { count: 1, since: now });
      } else f.count++;
      return 'refused';
    }
    this.failures.delete(remote);
    for (const [id, s] of this.sessions) if (s.expires < now) this.sessions.delete(id);
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    const s: ConsoleSession = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url'), expires: now + SESSION_TTL_MS, remote };
    this.sessions.set(s.id, s);
    return s;
  }

  /** The session the request's cookie names, if it is valid. */
  of(req: IncomingMessage, now = Date.now()): ConsoleSession | undefined {
    const id = cookieValue(req, COOKIE);
    if (!id || id.length > 64) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.expires < now) {
      this.sessions.delete(id);
      return undefined;
    }
    return s;
  }

  signOut(s: ConsoleSession): void {
    this.sessions.delete(s.id);
  }

  /** A state-changing request made with the cookie: its CSRF token and origin must match. */
  csrfOk(req: IncomingMessage, s: ConsoleSession): boolean {
    const h = req.headers['x-portcullis-csrf'];
    return typeof h === 'string' && h.length <= 128 && sameSecret(h, s.csrf) && sameOrigin(req);
  }
}

/** Origin (when the browser sends it) is this listener's own; Sec-Fetch-Site, when sent, same-origin. */
export function sameOrigin(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return origin === `${isTls(req) ? 'https' : 'http'}://${req.headers.host ?? ''}`;
}

export function sessionCookie(s: ConsoleSession, req: IncomingMessage): string {
  return `${COOKIE}=${s.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}${isTls(req) ? '; Secure' : ''}`;
}

export const clearedCookie = (req: IncomingMessage): string => `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${isTls(req) ? '; Secure' : ''}`;
