#!/usr/bin/env node
'use strict';
// Launcher. Portcullis needs Node >= 24 (node:sqlite, ML-KEM, post-quantum TLS groups, type stripping).
// This file stays plain CommonJS so that an older system Node can run it and hand over to the Node 24
// binary that the `node` package (a dependency) ships. argv is passed as an array: no shell is involved.
const path = require('node:path');
const { spawn } = require('node:child_process');
const { heapFlags } = require('./heap-flags.cjs');

// Node does not strip types under node_modules: an installed package runs its build (dist/, made
// by `npm run build` / prepack); a checkout runs its sources.
const installed = __dirname.split(path.sep).includes('node_modules');
const entry = installed ? path.join(__dirname, '..', 'dist', 'cli', 'main.js') : path.join(__dirname, '..', 'src', 'cli', 'main.ts');
const major = Number(process.versions.node.split('.')[0]);
const args = process.argv.slice(2);
// Flags that size V8's heap (heap-flags.cjs) only take effect at process start.
const extra = heapFlags(args, process.execArgv, process.env.NODE_OPTIONS);

if (major >= 24 && extra.length && typeof process.execve === 'function') {
  // Start over as the same process (pid, stdio, signals and supervisor unchanged) with the flags:
  // no second process stays around. Where execve is unavailable (Windows), run without them.
  try {
    process.execve(process.execPath, [process.execPath, ...extra, ...process.execArgv, __filename, ...args]);
  } catch (err) {
    process.stderr.write(`portcullis: running without ${extra.join(' ')} (${err && err.message ? err.message : err})\n`);
  }
}
if (major >= 24) {
  import(require('node:url').pathToFileURL(entry).href).catch((err) => {
    process.stderr.write(`portcullis: ${err && err.stack ? err.stack : err}\n`);
    process.exit(70);
  });
} else {
  let nodeBin;
  try {
    nodeBin = path.join(path.dirname(require.resolve('node/package.json', { paths: [path.join(__dirname, '..')] })), 'bin', 'node');
  } catch {
    process.stderr.write(
      `portcullis: Node ${process.versions.node} is too old (need >= 24) and the bundled 'node' package is missing.\n` +
        `fix: run 'npm install' in ${path.join(__dirname, '..')}, or install Node 24.\n`,
    );
    process.exit(69);
  }
  const child = spawn(nodeBin, [...extra, entry, ...args], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
