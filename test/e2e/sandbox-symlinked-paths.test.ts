/**
 * An `allowedPaths` entry that is a symlink appears in the sandbox at its own path (the bind's
 * destination), with the real directory's contents. The server's executable lives in that real
 * directory: the sandbox must still contain it. Before the fix the launcher compared the
 * executable with the bind's *source*, thought it was covered, and bound nothing for it, so
 * the server could not start (bwrap: execvp: No such file or directory).
 */
import assert from 'node:assert/strict';
import { chmodSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EVERYTHING, NODE, ROOT, textOf } from '../helpers/gateway-process.ts';
import { sandboxDir, sandboxGateway, type SandboxGateway } from '../helpers/sandbox-fixtures.ts';

describe('sandbox: an allowed path that is a symlink to the directory of the server executable', () => {
  let env: SandboxGateway;
  const real = sandboxDir('portcullis-sbx-real-', false);
  const link = join(tmpdir(), `portcullis-sbx-link-${process.pid}`);

  before(async () => {
    const script = join(real, 'start-server.sh');
    writeFileSync(script, `#!/bin/sh\nexec ${JSON.stringify(realpathSync(NODE))} ${JSON.stringify(realpathSync(EVERYTHING))} stdio\n`);
    chmodSync(script, 0o755);
    symlinkSync(real, link);
    env = await sandboxGateway(
      `    - { name: everything, command: ${JSON.stringify(join(link, 'start-server.sh'))}, args: [] }`,
      `      enabled: true
      memoryLimit: 1g
      allowedPaths: [${JSON.stringify(link)}, ${JSON.stringify(realpathSync(join(ROOT, 'node_modules')))}]`,
    );
  });

  after(async () => {
    await env?.stop(real, link);
  });

  test('the server starts and answers', async () => {
    const r = await env.client.callTool({ name: 'echo', arguments: { message: 'through a symlinked bind' } }).catch((e: Error) => {
      throw new Error(`${e.message}\n--- gateway stderr ---\n${env.gw.stderr().slice(-4000)}`);
    });
    assert.match(textOf(r), /through a symlinked bind/);
  });
});
