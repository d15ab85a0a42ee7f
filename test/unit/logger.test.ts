/** The operational log: JSON lines, secrets censored by field and scrubbed from free text. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, lineLogger } from '../../src/monitor/logger.ts';

test('log lines are JSON and carry no secret', () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ mode: 'run', destination: destination as never });
  lineLogger(logger)('[upstream] connecting with Authorization: Bearer sk-live-abcdef123 and DB_PASSWORD=hunter2');
  logger.info({ token: 'tok-123', headers: { authorization: 'Bearer x' }, server: 'files' }, 'started');
  const text = lines.join('');
  for (const secret of ['sk-live-abcdef123', 'hunter2', 'tok-123', 'Bearer x']) assert.equal(text.includes(secret), false, secret);
  const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(first.level, 30);
  assert.equal(first.mode, 'run');
  assert.match(String(first.msg), /Bearer \[REDACTED\].*DB_PASSWORD=\[REDACTED\]/);
  assert.equal(second.server, 'files');
  assert.equal(second.token, '[REDACTED]');
});
