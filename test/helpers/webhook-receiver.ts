/**
 * A real HTTP webhook receiver for alert and audit deliveries: records every POST (headers and
 * body), answers with a chosen status, and can be stopped and started again on the same port,
 * to play a receiver that is down and then comes back.
 */
import { createServer, type Server } from 'node:http';
import { freePort } from './gateway-process.ts';

export interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: Record<string, unknown>;
}

export class WebhookReceiver {
  readonly port: number;
  readonly received: Received[] = [];
  status = 200;
  private server: Server | undefined;
  private waiters: { pred: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];

  private constructor(port: number) {
    this.port = port;
  }

  /** A receiver on a free port, not listening yet (it is "down"). */
  static async reserve(): Promise<WebhookReceiver> {
    return new WebhookReceiver(await freePort());
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const body = Buffer.concat(parts).toString('utf8');
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(body) as Record<string, unknown>;
        } catch {
          // recorded as is
        }
        const r: Received = { path: req.url ?? '', headers: req.headers, body, json };
        if (this.status >= 200 && this.status < 300) {
          this.received.push(r);
          this.waiters = this.waiters.filter((w) => (w.pred(r) ? (w.resolve(r), false) : true));
        }
        res.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Resolves with the first delivery (already received or to come) that matches. */
  waitFor(pred: (r: Received) => boolean, ms = 20_000): Promise<Received> {
    const have = this.received.find(pred);
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching delivery within ${ms} ms; got ${this.received.length}: ${this.received.map((r) => r.body.slice(0, 120)).join(' | ')}`)), ms);
      this.waiters.push({
        pred,
        resolve: (r) => {
          clearTimeout(t);
          resolve(r);
        },
      });
    });
  }
}
