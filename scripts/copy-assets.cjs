// `npm run build` step 2: what src/ ships besides TypeScript (the detection model's weights and
// metadata, the console's pages and scripts) goes to dist/ beside the emitted JS, at the same
// relative paths, since the code finds them next to itself (import.meta.url).
'use strict';
const { cpSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
// The output directory: dist/ unless given (the package test builds into a consumer's tree).
const out = process.argv[2] ?? join(root, 'dist');
cpSync(join(root, 'src'), out, {
  recursive: true,
  filter: (path) => statSync(path).isDirectory() || !path.endsWith('.ts'),
});
