'use strict';
// npm puts node_modules/.bin first on PATH, so `node` in npm scripts is the Node 24 binary from the
// `node` package. Fail early and clearly if that did not happen (e.g. `npm ci` was skipped).
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`portcullis needs Node >= 24 but npm ran Node ${process.versions.node}.\nfix: run 'npm ci' first (it installs the Node 24 binary from the 'node' package).\n`);
  process.exit(1);
}
