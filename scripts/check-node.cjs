'use strict';
// npm puts node_modules/.bin first on PATH, so `node` in npm scripts is the Node 24 binary from the
// `node` package. Fail early and clearly if that did not happen (e.g. `npm ci` was skipped).
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`portcullis needs Node >= 24 but npm ran Node ${process.versions.node}.\nfix: run 'npm ci' first (it installs the Node 24 binary from the 'node' package).\n`);
  process.exit(1);
}
// re2 is a native addon built by `npm ci` against the Node 24 headers that ship in the `node`
// package (.npmrc sets nodedir). If it is missing or was built for another Node, say how to fix it.
try {
  require('re2');
} catch (err) {
  process.stderr.write(`portcullis could not load the native 're2' module (${err.message.split('\n')[0]}).\nfix: run 'npm ci' from the repository root (it compiles re2 against Node ${process.versions.node}; needs python3, make and g++).\n`);
  process.exit(1);
}
