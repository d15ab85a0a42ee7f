/**
 * The operational log: JSON lines on stderr (pino). Never the audit trail (that is audit/), and
 * never a secret: known secret fields are censored, and every message string goes through the
 * audit redaction (bearer tokens, `key=value` secrets in a server's stderr line).
 */
import pino from 'pino';
import { redactArguments } from '../audit/redact.ts';

export type Logger = pino.Logger;

/** `password=...`, `api_key: ...`, `token=...` in free text (a server's stderr line). */
const INLINE_SECRET = /\b([A-Za-z_-]*(?:password|passwd|secret|token|api[_-]?key|apikey|credential)[A-Za-z_-]*)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&]+)/gi;

export function scrubLine(s: string): string {
  return (redactArguments(s) as string).replace(INLINE_SECRET, '$1$2[REDACTED]');
}

/** `worker`: the 1-based worker of `run --workers N`, on every line (the workers share stderr). */
export function createLogger(opts: { level?: string; mode?: string; worker?: number; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      name: 'portcullis',
      level: opts.level ?? 'info',
      base: { pid: process.pid, mode: opts.mode, ...(opts.worker ? { worker: opts.worker } : {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['token', 'password', 'secret', 'authorization', '*.token', '*.password', '*.secret', '*.authorization', 'headers', '*.headers'], censor: '[REDACTED]' },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? scrubLine(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    // Synchronous: a line logged just before exit (a fatal start-up error) must not be lost.
    opts.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

/** The gateway's `log(line)` on top of a logger. */
export function lineLogger(logger: Logger): (line: string) => void {
  return (line) => logger.info(line);
}
