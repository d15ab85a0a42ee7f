/**
 * A per-server (or skill) override sets only the keys it names: nothing of the global settings is
 * reset to a schema default by naming one other key (src/config/override-schema.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfigText } from '../../src/config/load.ts';

test('overrides never reset unnamed settings to their defaults', () => {
  const { servers } = loadConfigText(`mcp:
  security:
    rateLimiting: { requestsPerMinute: 30, burstSize: 10, cooldownSeconds: 5 }
    validation: { maxNestingDepth: 5, schemaValidation: warn }
    mtls: { enabled: false, verifyServer: false }
    promptAccess: { defaultPolicy: deny }
    sandbox: { enabled: true, network: none, maxProcesses: 64 }
  servers:
    - name: a
      command: x
      security:
        rateLimiting: { burstSize: 5 }
        validation: { maxToolArguments: 10 }
        mtls: { serverName: a.internal }
        promptAccess: { denied: ["secret*"] }
        sandbox: { memoryLimit: 256m }
  skills:
    - { name: a, security: { sandbox: { allowedPaths: ["/workspace/*"] } } }
`);
  const e = servers[0].effective;
  assert.deepEqual(e.rateLimiting, { enabled: true, requestsPerMinute: 30, burstSize: 5, cooldownSeconds: 5 });
  assert.equal(e.validation.maxNestingDepth, 5);
  assert.equal(e.validation.schemaValidation, 'warn');
  assert.equal(e.validation.maxToolArguments, 10);
  assert.equal(e.mtls.verifyServer, false);
  assert.equal(e.mtls.serverName, 'a.internal');
  assert.equal(e.promptAccess.defaultPolicy, 'deny');
  assert.equal(e.sandbox.enabled, true, 'the server is still sandboxed');
  assert.equal(e.sandbox.maxProcesses, 64);
  assert.equal(e.sandbox.memoryLimit, '256m');
  assert.deepEqual(e.sandbox.allowedPaths, ['/workspace/*']);
});
