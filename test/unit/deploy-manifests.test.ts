/**
 * deploy/: the Kubernetes manifests, the compose file and its HAProxy configuration. No cluster,
 * no Docker engine and no kubeconform here: each file is parsed by the `yaml` library, the fields
 * the API server and compose would need are asserted, the pieces are checked against each other
 * (selectors, named ports, probe paths, the environment the Portcullis config reads), and the
 * Portcullis config goes through the real schema (loadConfigText).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments, parse } from 'yaml';
import { loadConfigText } from '../../src/config/load.ts';
import { ROOT } from '../helpers/gateway-process.ts';

const DEPLOY = join(ROOT, 'deploy');
const read = (p: string) => readFileSync(join(DEPLOY, p), 'utf8');
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const configText = read('portcullis-replicas.yaml');
/** The ${VAR}s the Portcullis config reads, plus the one named by passwordEnv. */
const configVars = [...new Set([...configText.replace(/^\s*#.*$/gm, '').matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]))];
const ENV = { UPSTREAM_URL: 'http://mcp-server:3001/mcp', AGENT_KEY_HASH: `sha256:${'a'.repeat(64)}`, ADMIN_TOKEN_HASH: `sha256:${'b'.repeat(64)}`, PUBLIC_HOST: 'portcullis.internal:9470', REDIS_URL: 'redis://redis:6379/0', REDIS_PASSWORD: 'x', PG_URL: 'postgres://portcullis:pw@postgres:5432/portcullis' };

describe('deploy/portcullis-replicas.yaml', () => {
  test('loads through the configuration schema, with shared state, the postgres store and the probes listener', () => {
    const loaded = loadConfigText(configText, 'deploy/portcullis-replicas.yaml', ENV);
    const mcp = loaded.config.mcp;
    assert.equal(mcp.state.url, 'redis://redis:6379/0');
    assert.equal(mcp.state.passwordEnv, 'REDIS_PASSWORD');
    assert.equal(mcp.admin.enabled, true);
    assert.equal(mcp.admin.port, 9471);
    assert.equal(mcp.listen.port, 9470);
    assert.ok(mcp.security.audit.destinations.some((d) => d.type === 'postgres'));
    assert.ok(mcp.listen.trustedProxies.length > 0, 'behind a balancer the caller comes from X-Forwarded-For');
    assert.deepEqual(configVars.sort(), ['ADMIN_TOKEN_HASH', 'AGENT_KEY_HASH', 'PG_URL', 'PUBLIC_HOST', 'REDIS_URL', 'UPSTREAM_URL']);
  });
});

describe('deploy/kubernetes/portcullis.yaml', () => {
  const docs = parseAllDocuments(read('kubernetes/portcullis.yaml'));
  for (const d of docs) assert.deepEqual(d.errors, []);
  const objs = docs.map((d) => d.toJS() as Obj);
  const byKind = (k: string) => objs.find((o) => o.kind === k)!;
  const dep = byKind('Deployment');
  const pod = dep?.spec.template;
  const container = pod?.spec.containers[0];

  test('a Deployment, a Service and a PodDisruptionBudget, each with apiVersion, kind and name', () => {
    assert.deepEqual(objs.map((o) => `${o.apiVersion} ${o.kind}`), ['apps/v1 Deployment', 'v1 Service', 'policy/v1 PodDisruptionBudget']);
    for (const o of objs) assert.match(o.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  test('selectors match the pod labels: Deployment, Service (no session affinity) and PDB', () => {
    const labels = pod.metadata.labels as Obj;
    const matches = (sel: Obj) => Object.entries(sel).every(([k, v]) => labels[k] === v);
    assert.ok(matches(dep.spec.selector.matchLabels));
    assert.ok(matches(byKind('Service').spec.selector));
    assert.equal(byKind('Service').spec.sessionAffinity, 'None');
    assert.ok(matches(byKind('PodDisruptionBudget').spec.selector.matchLabels));
    assert.ok(dep.spec.replicas >= 2);
    assert.ok(byKind('PodDisruptionBudget').spec.minAvailable < dep.spec.replicas, 'a drain can proceed');
  });

  test('probes: liveness and startup on /healthz, readiness on /readyz, on the admin port the config opens', () => {
    const ports = Object.fromEntries((container.ports as Obj[]).map((p) => [p.name, p.containerPort]));
    assert.deepEqual(ports, { mcp: 9470, admin: 9471 });
    assert.deepEqual(container.livenessProbe.httpGet, { path: '/healthz', port: 'admin' });
    assert.deepEqual(container.startupProbe.httpGet, { path: '/healthz', port: 'admin' });
    assert.deepEqual(container.readinessProbe.httpGet, { path: '/readyz', port: 'admin' });
    for (const p of byKind('Service').spec.ports as Obj[]) assert.ok(p.targetPort in ports, `Service targetPort ${p.targetPort}`);
  });

  test('every variable the config reads is set in the container; the config is mounted where the args say', () => {
    const env = new Set((container.env as Obj[]).map((e) => e.name));
    for (const v of [...configVars, 'REDIS_PASSWORD']) assert.ok(env.has(v), v);
    for (const e of container.env as Obj[]) assert.ok(e.value !== undefined || e.valueFrom?.secretKeyRef?.name, e.name);
    assert.deepEqual(container.args, ['run', '--config', '/etc/portcullis/portcullis.yaml']);
    const mounts = Object.fromEntries((container.volumeMounts as Obj[]).map((m) => [m.name, m.mountPath]));
    assert.equal(mounts.config, '/etc/portcullis');
    const volumes = new Set((pod.spec.volumes as Obj[]).map((v) => v.name));
    for (const m of Object.keys(mounts)) assert.ok(volumes.has(m), `volume ${m}`);
    assert.equal(pod.spec.securityContext.runAsUser, 10001, 'the image user (Dockerfile)');
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  });
});

describe('deploy/compose.yaml and deploy/haproxy.cfg', () => {
  const compose = parse(read('compose.yaml'), { merge: true }) as Obj;
  const haproxy = read('haproxy.cfg');
  const replicas = Object.keys(compose.services).filter((n) => n.startsWith('portcullis-'));

  test('three replicas from one anchor, each with the config, its variables and a /readyz health check', () => {
    assert.deepEqual(replicas, ['portcullis-1', 'portcullis-2', 'portcullis-3']);
    for (const n of replicas) {
      const s = compose.services[n] as Obj;
      assert.deepEqual(s.command, ['run', '--config', '/etc/portcullis/portcullis.yaml']);
      assert.ok((s.volumes as string[]).includes('./portcullis-replicas.yaml:/etc/portcullis/portcullis.yaml:ro'));
      for (const v of [...configVars, 'REDIS_PASSWORD']) assert.ok(v in s.environment, `${n}: ${v}`);
      assert.match(s.healthcheck.test.join(' '), /:9471\/readyz/);
      assert.deepEqual(Object.keys(s.depends_on).sort(), ['postgres', 'redis']);
    }
    for (const n of ['redis', 'postgres', 'balancer']) assert.ok(compose.services[n]?.image, n);
  });

  test('HAProxy balances round robin over exactly those replicas, checked on /readyz, with no stickiness', () => {
    assert.match(haproxy, /^\s+balance roundrobin$/m);
    assert.match(haproxy, /^\s+option httpchk GET \/readyz$/m);
    assert.match(haproxy, /^\s+option forwardfor$/m);
    const servers = [...haproxy.matchAll(/^\s+server \S+ ([\w-]+):(\d+) check port (\d+)/gm)].map((m) => [m[1], m[2], m[3]]);
    assert.deepEqual(servers, replicas.map((n) => [n, '9470', '9471']));
    assert.doesNotMatch(haproxy.replace(/#.*$/gm, ''), /\b(cookie|stick|balance source|hash-type|prefer-last-server)\b/);
  });
});
