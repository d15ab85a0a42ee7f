/**
 * What shared state costs per call: median latency of one `tools/call` through `portcullis run`
 * with its state in this process (the default) and in Redis (`mcp.state.url`, the machine's
 * 127.0.0.1:6379 under a key prefix of this run's own, removed afterwards), in one run on one
 * machine. No assertions; it prints p50/p90/p99, the ratio and the added milliseconds.
 *
 *   node bench/shared-state-overhead.ts [--calls 500] [--rounds 5]
 *
 * The policy is the one a scaled-out deployment runs: the per-session bucket, a per-principal and
 * a per-server bucket (three token-bucket scripts, one round trip each), a flow rule with tool
 * labels (the session's taint read: one more), lockdown/revocation checks (read from the local
 * copy that pub/sub keeps current: no round trip). Goal (issue 19): <= +0.3 ms p50.
 */
import { availableParallelism as nprocOf, loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { dropPrefix, REDIS_TEST_URL, testPrefix } from '../test/helpers/redis.ts';
import { startGateway } from '../test/helpers/gateway-process.ts';
import { benchArgs, runInterleaved, type Mode } from './interleaved-modes.ts';
import { summarize } from './stats.ts';
import { MOCK, NODE } from './targets.ts';

const nproc = nprocOf();

const config = (state: string) => `
mcp:
${state}
  servers:
    - name: mock
      command: "${NODE}"
      args: ["${MOCK}", "--stdio"]
  security:
    toolAccess: {defaultPolicy: deny, allowedTools: [blob]}
    rateLimiting:
      requestsPerMinute: 6000000
      burstSize: 1000000
      perPrincipal: {requestsPerMinute: 6000000, burstSize: 1000000}
      perServer: {requestsPerMinute: 6000000, burstSize: 1000000}
    toolLabels: {blob: [public-data]}
    flowRules: [{name: no-exfil, after: [private-data], deny: [external-sink]}]
    audit: {destinations: [{type: file, path: "\${AUDIT}"}]}
`;

const prefix = testPrefix();
const modes: Mode[] = [
  { name: 'in-process', gw: await startGateway(config('')) },
  { name: 'Redis', gw: await startGateway(config(`  state: {url: "${REDIS_TEST_URL}", keyPrefix: "${prefix}"}`)) },
];
try {
  await runInterleaved('tools/call (blob 1 KB) through portcullis run, state in process vs in Redis', modes, benchArgs());
  // The floor under the added time: one Redis round trip from Node on this machine, now. A call
  // makes two (its buckets in one script, the session's taint read in another).
  const redis = new Redis(REDIS_TEST_URL);
  const rtt: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t = performance.now();
    await redis.ping();
    if (i >= 200) rtt.push(performance.now() - t);
  }
  redis.disconnect();
  const s = summarize(rtt);
  console.log(`Redis PING round trip from Node: p50 ${s.p50.toFixed(3)} ms, p90 ${s.p90.toFixed(3)} ms (1800 samples); ${nproc} CPUs, load average ${loadavg()[0]!.toFixed(1)}`);
} finally {
  await Promise.all(modes.map((m) => m.gw.stop()));
  await dropPrefix(REDIS_TEST_URL, prefix);
}
