/**
 * The shared end-to-end cases (cases/chain-cases.ts) through the embedded guard: real v1
 * (`@modelcontextprotocol/sdk`) and v2 (`@modelcontextprotocol/client`) clients connected to the
 * real servers over stdio, each wrapped by one `Guard` for its server. The same outcomes as
 * through `portcullis wrap`, and the guard's events are the audit log's records.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioV2 } from '@modelcontextprotocol/client/stdio';
import { Guard } from '../../src/embed/guard.ts';
import { readAudit } from '../helpers/gateway-process.ts';
import { CHAIN_CASES, makeWorld, SERVERS, type CaseClient, type ServerName } from './cases/chain-cases.ts';

const SDKS = {
  v1: async (argv: string[]) => {
    const c = new ClientV1({ name: 'guard-cases-v1', version: '1' });
    await c.connect(new StdioV1({ command: argv[0], args: argv.slice(1), stderr: 'ignore' }));
    return c;
  },
  v2: async (argv: string[]) => {
    const c = new ClientV2({ name: 'guard-cases-v2', version: '1' });
    await c.connect(new StdioV2({ command: argv[0], args: argv.slice(1), stderr: 'ignore' }));
    return c;
  },
};

for (const [sdk, connect] of Object.entries(SDKS)) {
  describe(`shared chain cases through the embedded guard (${sdk} SDK client)`, () => {
    const world = makeWorld();
    const clients = new Map<ServerName, CaseClient & { close(): Promise<void> }>();
    const events: { name: string; event: string; tool?: string }[] = [];
    let guard: Guard;

    before(async () => {
      guard = await Guard.fromConfig(world.configPath, { log: () => {} });
      for (const name of ['tool:invoked', 'tool:denied', 'policy:violation', 'injection', 'pin:drift', 'secret:redacted', 'content:quarantined'] as const) {
        guard.on(name, (r) => events.push({ name, event: r.event, tool: r.tool }));
      }
      for (const server of SERVERS) clients.set(server, guard.wrap(await connect(world.argv[server]), { server }) as never);
    });

    after(async () => {
      await Promise.allSettled([...clients.values()].map((c) => c.close()));
      await guard?.close();
      rmSync(world.signal, { force: true });
    });

    for (const c of CHAIN_CASES) test(c.name, () => c.run(clients.get(c.server)!, world));

    test('the events are the audit records, under their names', async () => {
      await guard.close();
      const audit = readAudit(world.auditPath);
      for (const [name, event] of [
        ['tool:invoked', 'tool_invoked'],
        ['tool:denied', 'tool_denied'],
        ['injection', 'injection_attempt'],
        ['pin:drift', 'pin_drift'],
        ['secret:redacted', 'secret_redacted'],
        ['content:quarantined', 'content_quarantined'],
      ]) {
        const got = events.filter((e) => e.name === name);
        assert.ok(got.length > 0, `event ${name} was emitted`);
        assert.ok(got.every((e) => e.event === event));
        assert.equal(got.length, audit.filter((r) => r.event === event).length, `${name}: one event per audit record`);
      }
      assert.ok(audit.some((r) => r.event === 'gateway_stopped'), 'the audit log was sealed on close');
    });
  });
}
