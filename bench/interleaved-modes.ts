/**
 * The harness shared by the per-request overhead benches (identity-overhead.ts, tls-overhead.ts):
 * one gateway per mode in front of the same mock, a 2025-11-25 session each, a warm-up, then
 * `rounds` × `calls` sequential `tools/call` (blob 1 KB) per mode, interleaved round by round so
 * drift in machine load hits every mode alike; it prints p50/p90/p99 and the p50 ratio to the first
 * mode. No assertions.
 */
import { parseArgs } from 'node:util';
import { fetch, type Dispatcher } from 'undici';
import type { RunningGateway } from '../test/helpers/gateway-process.ts';
import { callBody, callHeaders, INIT_HEADERS, initializeBody, LEGACY } from './mcp-wire.ts';
import { summarize } from './stats.ts';

export interface Mode {
  name: string;
  gw: RunningGateway;
  /** Extra request headers (credentials). */
  headers?: Record<string, string>;
  /** The HTTP client's connection pool (TLS options). */
  dispatcher?: Dispatcher;
}

export function benchArgs(): { calls: number; rounds: number } {
  const { values } = parseArgs({ options: { calls: { type: 'string', default: '500' }, rounds: { type: 'string', default: '5' } } });
  return { calls: Number(values.calls), rounds: Number(values.rounds) };
}

export async function runInterleaved(title: string, modes: readonly Mode[], opts: { calls: number; rounds: number }): Promise<void> {
  const post = (m: Mode, headers: Record<string, string>, body: string) => fetch(m.gw.url, { method: 'POST', headers: { ...headers, ...m.headers }, body, dispatcher: m.dispatcher });
  const sessions = new Map<Mode, string>();
  const samples = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  const calls = async (m: Mode, n: number, record: boolean) => {
    const headers = callHeaders('blob', 'session', sessions.get(m));
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const res = await post(m, headers, callBody(i, 'blob', { size: 1024 }, 'session'));
      const text = await res.text();
      if (res.status !== 200 || !text.includes('"result"')) throw new Error(`${m.name}: HTTP ${res.status} ${text.slice(0, 200)}`);
      if (record) samples.get(m)!.push(performance.now() - t);
    }
  };
  for (const m of modes) {
    const res = await post(m, INIT_HEADERS, initializeBody(0));
    await res.text();
    const sid = res.headers.get('mcp-session-id');
    if (!sid) throw new Error(`${m.name}: initialize failed with HTTP ${res.status}`);
    sessions.set(m, sid);
    await (await post(m, { ...INIT_HEADERS, 'mcp-session-id': sid, 'mcp-protocol-version': LEGACY }, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }))).text();
    await calls(m, 100, false); // warm-up: JIT, caches (JWKS, TLS sessions)
  }
  for (let r = 0; r < opts.rounds; r++) for (const m of modes) await calls(m, opts.calls, true);
  const base = summarize(samples.get(modes[0])!).p50;
  console.log(`${title}, ${opts.rounds} x ${opts.calls} sequential calls per mode, interleaved`);
  console.log('mode           p50 ms   p90 ms   p99 ms   p50 ratio   p50 added ms');
  for (const m of modes) {
    const s = summarize(samples.get(m)!);
    console.log(`${m.name.padEnd(13)} ${s.p50.toFixed(3).padStart(7)}  ${s.p90.toFixed(3).padStart(7)}  ${s.p99.toFixed(3).padStart(7)}   ${(s.p50 / base).toFixed(3).padStart(9)}   ${(s.p50 - base >= 0 ? '+' : '') + (s.p50 - base).toFixed(3)}`);
  }
}
