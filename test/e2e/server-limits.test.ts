/**
 * A server's own `validation` limits, end to end through `portcullis run` in front of two real
 * server-everything processes: `small` sets lower limits than the global ones, `big` does not.
 * The size and depth limits used to be applied only globally, before routing, so `small` got
 * messages past its own limits; and a server that turned `schemaValidation` on under a global
 * `off` never had its messages checked against the MCP schema. Limits above the global ones,
 * which could never apply, are refused by `portcullis check` with the key and the fix.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { withGatewayClient } from '../helpers/gateway-client.ts';
import { BIN, NODE, rpcError, textOf, writeConfig } from '../helpers/gateway-process.ts';

const CONFIG = `mcp:
  servers:
    - { name: small, command: "\${NODE}", args: ["\${EVERYTHING}", "stdio"], security: { validation: { maxMessageSize: 4096, maxNestingDepth: 5, maxToolArguments: 2, schemaValidation: strict } } }
    - { name: big, command: "\${NODE}", args: ["\${EVERYTHING}", "stdio"] }
  security:
    toolAccess: { defaultPolicy: allow }
    rateLimiting: { enabled: false }
    validation: { schemaValidation: off }
    audit: { destinations: [{ type: file, path: "\${AUDIT}", rotation: none }] }
`;

/** `{n: {n: ... 'x'}}`, `levels` objects deep. */
function nested(levels: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < levels; i++) v = { n: v };
  return v;
}

test("a server's own lower size, depth, argument-count and schema settings are enforced; the other server keeps the global ones", async () => {
  await withGatewayClient(CONFIG, async (c, gw) => {
    const long = 'x'.repeat(6000);
    const tooLarge = await rpcError(c.callTool({ name: 'small__echo', arguments: { message: long } }));
    assert.equal(tooLarge.data?.reason, 'MESSAGE_TOO_LARGE');
    assert.equal(tooLarge.code, -32600);
    assert.match(textOf(await c.callTool({ name: 'big__echo', arguments: { message: long } })), /x{6000}/, 'the global 1 MiB applies to big');
    assert.match(textOf(await c.callTool({ name: 'small__echo', arguments: { message: 'short' } })), /short/);

    // Counted from params (1): arguments 2, then five objects under message reach 7, over small's 5.
    const tooDeep = await rpcError(c.callTool({ name: 'small__echo', arguments: { message: nested(5) as string } }));
    assert.equal(tooDeep.data?.reason, 'NESTING_TOO_DEEP');
    const bigDeep = await c.callTool({ name: 'big__echo', arguments: { message: nested(5) as string } }).then(
      () => undefined,
      (e: { data?: { reason?: string } }) => e.data?.reason,
    );
    assert.notEqual(bigDeep, 'NESTING_TOO_DEEP', 'big has the global depth of 32');

    const tooMany = await rpcError(c.callTool({ name: 'small__echo', arguments: { message: 'a', b: 1, c: 2 } }));
    assert.equal(tooMany.data?.reason, 'TOO_MANY_ARGUMENTS');

    // The MCP schema: `_meta` must be an object. Global `off`, small's own `strict`.
    const badMeta = await rpcError(c.callTool({ name: 'small__echo', arguments: { message: 'm' }, _meta: 'not an object' as unknown as Record<string, unknown> }));
    assert.equal(badMeta.data?.reason, 'INVALID_PARAMS', JSON.stringify(badMeta));

    await new Promise((r) => setTimeout(r, 300));
    const recs = gw.audit().filter((r) => r.event === 'schema_validation_failed' && r.server === 'small');
    for (const code of ['MESSAGE_TOO_LARGE', 'NESTING_TOO_DEEP', 'TOO_MANY_ARGUMENTS', 'INVALID_PARAMS']) {
      assert.ok(recs.some((r) => r.code === code), `audited: ${code} (${JSON.stringify(recs.map((r) => r.code))})`);
    }
  });
});

test('portcullis check refuses a server limit above the global one, naming the key and the fix', () => {
  const cfg = writeConfig(`mcp:
  servers: [{ name: s, command: "\${NODE}", args: ["\${EVERYTHING}", "stdio"], security: { validation: { maxMessageSize: 2097152, maxNestingDepth: 8 } } }]
  skills: [{ name: s, security: { validation: { maxNestingDepth: 64 } } }]
`);
  const r = spawnSync(NODE, [BIN, 'check', '--config', cfg.path, '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout) as { valid: boolean; problems: { path: string; fix: string }[] };
  assert.equal(out.valid, false);
  assert.deepEqual(out.problems.map((p) => p.path).sort(), ['mcp.servers.0.security.validation.maxMessageSize', 'mcp.skills.0.security.validation.maxNestingDepth']);
  for (const p of out.problems) assert.match(p.fix, /raise mcp\.security\.validation\./);
});
