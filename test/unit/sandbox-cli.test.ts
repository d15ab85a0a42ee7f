/**
 * `portcullis doctor` and the sandbox part of `portcullis check`, run as real processes on this
 * host. CI installs bubblewrap (.ci/run), so the default backend must be reported usable.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfigText } from '../../src/config/load.ts';
import { probeEngine } from '../../src/sandbox/detect.ts';
import { BIN, NODE, ROOT } from '../helpers/gateway-process.ts';

const SHARED_SEED = join(ROOT, '..', 'shared', 'fixtures', 'openclaw-mcp-security.yaml');
const SEED = existsSync(SHARED_SEED) ? SHARED_SEED : join(ROOT, 'test', 'fixtures', 'config', 'openclaw-mcp-security.yaml');

test('doctor reports each capability, tried on this host, and the mechanism of each limit', () => {
  const r = spawnSync(NODE, [BIN, 'doctor', '--json'], { encoding: 'utf8' });
  const out = JSON.parse(r.stdout) as { ready: boolean; checks: Record<string, { ok: boolean; detail: string }>; mechanisms: Record<string, string> };
  for (const k of ['bubblewrap', 'userNamespaces', 'seccomp', 'cgroupV2', 'prlimit', 'docker', 'podman']) assert.equal(typeof out.checks[k]?.ok, 'boolean', k);
  assert.equal(out.checks.bubblewrap.ok, true, out.checks.bubblewrap.detail);
  assert.equal(out.checks.seccomp.ok, true);
  // Where no cgroup v2 memory controller is delegated (this host), the watchdog, not an rlimit.
  assert.match(out.mechanisms.memory, out.checks.cgroupV2.ok ? /cgroup v2 memory\.max/ : /watchdog: PSS/);
  assert.equal(out.ready, true);
  assert.equal(r.status, 0);
  const text = spawnSync(NODE, [BIN, 'doctor'], { encoding: 'utf8' }).stdout;
  assert.match(text, /ok +bubblewrap +bubblewrap \d+\.\d+\.\d+/);
});

test('check on the seed: sandbox is enforced, and whether its docker backend answers on this host is said', () => {
  const r = spawnSync(NODE, [BIN, 'check', '--config', SEED, '--json'], { encoding: 'utf8', env: { ...process.env, AUDIT_WEBHOOK_TOKEN: 't' } });
  const out = JSON.parse(r.stdout) as { unenforced: { path: string }[]; sandbox: { path: string; container: string; ok: boolean; outcome: string }[] };
  assert.ok(!out.unenforced.some((u) => u.path.includes('sandbox')));
  assert.equal(out.sandbox.length, 1);
  assert.equal(out.sandbox[0].container, 'docker');
  assert.equal(out.sandbox[0].ok, probeEngine('docker').ok);
  if (!out.sandbox[0].ok) assert.match(out.sandbox[0].outcome, /REFUSE to start/);
});

test('settings that cannot work together fail at load with the key and a fix', () => {
  const expectProblem = (yaml: string, re: RegExp) => {
    try {
      loadConfigText(yaml);
      assert.fail('should not load');
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      assert.ok(e.problems.some((p) => re.test(p.message) && p.fix.length > 5), JSON.stringify(e.problems));
    }
  };
  expectProblem('mcp: { security: { sandbox: { enabled: true, container: docker } } }', /needs sandbox\.image/);
  expectProblem('mcp: { security: { sandbox: { enabled: true, container: podman, image: x, network: allowlist } } }', /bubblewrap only/);
  expectProblem(
    `mcp:
  security: { sandbox: { enabled: true } }
  servers: [{ name: a, command: x, security: { sandbox: { container: docker } } }]
`,
    /server 'a'.*needs sandbox\.image/,
  );
  assert.doesNotThrow(() => loadConfigText('mcp: { security: { sandbox: { enabled: false, container: docker } } }'), 'off: nothing to check');
});
