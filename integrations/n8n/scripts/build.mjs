// Builds the package as n8n loads it: CommonJS JavaScript in dist/ (tsc), with each node's icon
// and codex file beside it. Types come from Portcullis's own build (../../dist, `npm run build`
// at the repository root) and from n8n-workflow (a dev dependency: `npm run test:n8n` links the
// one of the n8n it installs).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const repo = join(here, '..', '..');
const run = (args, cwd) => {
  const r = spawnSync(process.execPath, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
if (!existsSync(join(here, 'node_modules', 'n8n-workflow'))) {
  console.error('n8n-nodes-portcullis: n8n-workflow is not installed here (node_modules/n8n-workflow); run `npm install` in integrations/n8n, or `npm run test:n8n`, which links it');
  process.exit(1);
}
run([join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], repo);
rmSync(join(here, 'dist'), { recursive: true, force: true });
run([join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(here, 'tsconfig.json')], here);
// Icons and codex files, as n8n's own tooling copies them.
for (const top of ['nodes', 'credentials']) {
  const walk = (d) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(svg|png|node\.json)$/.test(e)) cpSync(p, join(here, 'dist', p.slice(here.length + 1)));
    }
  };
  walk(join(here, top));
}
console.log('n8n-nodes-portcullis: built dist/');
