/**
 * The console's live events: audit records as they are written, streamed as Server-Sent Events
 * (`GET /admin/events?event=&server=&tool=&principal=&decision=`), after the last BACKLOG records
 * so a fresh page is not empty. Records are the audit's own (arguments already redacted).
 *
 * Bounded: at most MAX_CLIENTS streams; a client that does not read (more than MAX_QUEUED bytes
 * waiting in its socket) is dropped rather than buffered; a comment every 15 s keeps proxies
 * from closing an idle stream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditLog, AuditRecord } from '../audit/audit-log.ts';
import { HttpError, SECURITY_HEADERS } from './admin-http.ts';

const BACKLOG = 200;
const MAX_CLIENTS = 32;
const MAX_QUEUED = 1024 * 1024;
const FILTERS = ['event', 'server', 'tool', 'principal', 'decision'] as const;
type Filter = Partial<Record<(typeof FILTERS)[number], string>>;

interface Client {
  res: ServerResponse;
  filter: Filter;
}

const matches = (r: Readonly<AuditRecord>, f: Filter): boolean => FILTERS.every((k) => f[k] === undefined || String(r[k] ?? '') === f[k]);

export class EventStream {
  private readonly backlog: Readonly<AuditRecord>[] = [];
  private readonly clients = new Set<Client>();
  private readonly heartbeat: NodeJS.Timeout;
  private seq = 0;

  constructor(audit: AuditLog) {
    audit.observe((r) => this.publish(r));
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) c.res.write(': keep-alive\n\n');
    }, 15_000).unref();
  }

  private publish(r: Readonly<AuditRecord>): void {
    this.backlog.push(r);
    if (this.backlog.length > BACKLOG) this.backlog.shift();
    const id = ++this.seq;
    for (const c of this.clients) if (matches(r, c.filter)) this.write(c, id, r);
  }

  private write(c: Client, id: number, r: Readonly<AuditRecord>): void {
    if (c.res.writableLength > MAX_QUEUED) {
      c.res.destroy();
      this.clients.delete(c);
      return;
    }
    c.res.write(`id: ${id}\nevent: audit\ndata: ${JSON.stringify(r)}\n\n`);
  }

  open(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    if (this.clients.size >= MAX_CLIENTS) throw new HttpError(503, 'too many event streams');
    const filter: Filter = {};
    for (const k of FILTERS) {
      const v = query.get(k);
      if (v && v.length <= 256) filter[k] = v;
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    res.write(': portcullis events\n\n');
    const c: Client = { res, filter };
    const start = this.seq - this.backlog.length;
    this.backlog.forEach((r, i) => matches(r, filter) && this.write(c, start + i + 1, r));
    this.clients.add(c);
    req.on('close', () => this.clients.delete(c));
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }
}
