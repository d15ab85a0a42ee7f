import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { classifierSchema } from '../../src/config/classifier-schema.ts';
import { classifierProblems, createClassifier } from '../../src/detect/classifier.ts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../helpers/gateway-process.ts';

/** The endpoint is a real HTTP peer; the classifier client is what is under test. */
type Handler = (texts: string[], req: IncomingMessage, res: ServerResponse) => void;
let server: Server;
let url: string;
let handler: Handler;
const seen: Array<{ texts: string[]; auth?: string }> = [];

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { texts } = JSON.parse(Buffer.concat(chunks).toString()) as { texts: string[] };
      seen.push({ texts, auth: req.headers.authorization });
      handler(texts, req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/classify`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const keywordScores: Handler = (texts, _req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ scores: texts.map((t) => (t.includes('attack') ? 0.93 : 0.02)) }));
};

function http(extra: Record<string, unknown> = {}, errors: Error[] = []) {
  const cfg = classifierSchema.parse({ type: 'http', url, ...extra });
  return createClassifier(cfg, { onError: (e) => errors.push(e) })!;
}

describe('HTTP classifier', () => {
  it('scores texts through the endpoint and sends the configured headers', async () => {
    handler = keywordScores;
    seen.length = 0;
    const c = http({ headers: { Authorization: 'Bearer s3cret' } });
    assert.deepEqual(await c.classify(['hello', 'an attack here']), [0.02, 0.93]);
    assert.equal(seen[0].auth, 'Bearer s3cret');
    assert.equal(c.threshold, 0.5);
    assert.equal(c.failMode, 'closed');
    await c.close();
  });

  it('splits long texts into windows and keeps the highest window; batches requests', async () => {
    handler = keywordScores;
    seen.length = 0;
    const c = http({ maxChars: 100, maxBatch: 2 });
    const long = `${'benign '.repeat(40)}attack${' benign'.repeat(10)}`;
    assert.deepEqual(await c.classify([long, 'short']), [0.93, 0.02]);
    const sent = seen.flatMap((s) => s.texts);
    assert.ok(sent.length >= 4, String(sent.length));
    assert.ok(seen.every((s) => s.texts.length <= 2));
    assert.ok(sent.every((t) => t.length <= 100));
    await c.close();
  });

  it('fails closed by default on a timeout, and reports the failure', async () => {
    handler = () => {}; // never answers
    const errors: Error[] = [];
    const c = http({ timeoutMs: 200 }, errors);
    assert.deepEqual(await c.classify(['a', 'b']), [1, 1]);
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /no answer within 200 ms/);
    await c.close();
  });

  it('fails open when configured, still reporting', async () => {
    handler = (_t, _q, res) => {
      res.statusCode = 500;
      res.end('boom');
    };
    const errors: Error[] = [];
    const c = http({ failMode: 'open' }, errors);
    assert.deepEqual(await c.classify(['a']), [0]);
    assert.match(errors[0].message, /HTTP 500/);
    await c.close();
  });

  it('rejects oversized, malformed and mis-sized answers without leaking header values', async () => {
    const bad: Handler[] = [
      (_t, _q, res) => res.end(JSON.stringify({ scores: [0.1], pad: 'x'.repeat(5000) })),
      (_t, _q, res) => res.end('not json'),
      (_t, _q, res) => res.end(JSON.stringify({ scores: [0.1, 0.2] })),
      (_t, _q, res) => res.end(JSON.stringify({ scores: [7] })),
      (_t, _q, res) => res.end(JSON.stringify({ __proto__: { scores: [0.1] } })),
    ];
    for (const h of bad) {
      handler = h;
      const errors: Error[] = [];
      const c = http({ maxResponseBytes: 1024, headers: { Authorization: 'Bearer s3cret' } }, errors);
      assert.deepEqual(await c.classify(['a']), [1]);
      assert.equal(errors.length, 1);
      assert.doesNotMatch(errors[0].message, /s3cret/);
      await c.close();
    }
  });

  it('fails when nothing listens', async () => {
    const errors: Error[] = [];
    const cfg = classifierSchema.parse({ type: 'http', url: 'http://127.0.0.1:1/x', timeoutMs: 500 });
    const c = createClassifier(cfg, { onError: (e) => errors.push(e) })!;
    assert.deepEqual(await c.classify(['a']), [1]);
    assert.equal(errors.length, 1);
    await c.close();
  });
});

describe('ONNX classifier', () => {
  it('is undefined when not configured', () => {
    assert.equal(createClassifier(undefined), undefined);
  });

  it('without onnxruntime-node installed: check names the key and the fix, start-up fails', async () => {
    const cfg = classifierSchema.parse({ type: 'onnx', model: '/nonexistent/model.onnx' });
    const problems = classifierProblems(cfg);
    assert.deepEqual(problems.map((p) => p.path), ['mcp.security.inspection.injection.classifier.type', 'mcp.security.inspection.injection.classifier.model']);
    assert.match(problems[0].fix, /npm install onnxruntime-node/);
    const c = createClassifier(cfg)!;
    await assert.rejects(c.ready(), /npm install onnxruntime-node/);
  });

  it('portcullis check fails on it, naming file, line, key and fix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'classifier-check-'));
    const file = join(dir, 'portcullis.yaml');
    writeFileSync(file, ['mcp:', '  servers:', '    - name: s', '      command: node', '  security:', '    inspection:', '      injection:', '        classifier:', '          type: onnx', `          model: ${join(dir, 'absent.onnx')}`, ''].join('\n'));
    const r = spawnSync(process.execPath, [BIN, 'check', '--config', file], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /mcp\.security\.inspection\.injection\.classifier\.type: type: onnx needs the optional package onnxruntime-node/);
    assert.match(r.stdout, /fix: npm install onnxruntime-node/);
    assert.match(r.stdout, /classifier\.model: model file .*absent\.onnx is not readable/);
    assert.match(r.stdout, /portcullis\.yaml:9/);
  });

  it('the schema rejects unknown keys and bad URLs', () => {
    assert.throws(() => classifierSchema.parse({ type: 'http', url: 'ftp://x' }));
    assert.throws(() => classifierSchema.parse({ type: 'http', url: 'http://x', extra: 1 }));
    assert.throws(() => classifierSchema.parse({ type: 'tensorflow', model: 'x' }));
  });
});
