/**
 * `mcp.security.inspection.injection.classifier`: the optional machine-learning stage after the
 * injection rules (src/detect/classifier.ts). Either an HTTP endpoint the operator runs, or an
 * ONNX model file run in-process by `onnxruntime-node`, which is NOT a Portcullis dependency:
 * configuring `type: onnx` without it installed fails `portcullis check` and start-up, naming
 * this key and the fix. Nothing is downloaded at run time.
 */
import { z } from 'zod';

const common = {
  threshold: z
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .describe('A text whose injection probability is at or above this is reported as `injection.classifier` (severity high).'),
  failMode: z
    .enum(['closed', 'open'])
    .default('closed')
    .describe(
      'When the classifier fails (timeout, bad answer, model error): `closed` scores the text 1 (treated as an injection), `open` scores it 0. Either way the failure is reported to the inspection stage, which audits it; the rules always run.',
    ),
  maxChars: z
    .number()
    .int()
    .min(64)
    .max(100_000)
    .default(2000)
    .describe('Texts longer than this are split into windows of this many characters; a text scores the maximum of its windows.'),
  maxWindows: z
    .number()
    .int()
    .min(1)
    .max(1024)
    .default(64)
    .describe('Windows classified per text; the rest of a longer text is scored by the rules only.'),
};

export const httpClassifierSchema = z.strictObject({
  type: z.literal('http'),
  url: z
    .string()
    .regex(/^https?:\/\/[^\s]+$/, 'an http:// or https:// URL')
    .describe('POST {"texts": [...]} here; the answer is {"scores": [...]} with one number 0..1 per text, in order.'),
  headers: z
    .record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a header name'), z.string())
    .optional()
    .describe('Extra request headers, e.g. `Authorization: Bearer ${CLASSIFIER_TOKEN}` (values are never logged).'),
  timeoutMs: z.number().int().min(10).max(60_000).default(2000).describe('Per request: connect, send, answer.'),
  maxResponseBytes: z.number().int().min(64).max(16 * 1024 * 1024).default(1024 * 1024).describe('A longer answer is a failure.'),
  maxBatch: z.number().int().min(1).max(1024).default(32).describe('Texts (windows) sent per request.'),
  ...common,
});

export const onnxClassifierSchema = z.strictObject({
  type: z.literal('onnx'),
  model: z
    .string()
    .min(1)
    .describe(
      'Path of the .onnx file. The model takes a string tensor [batch] (its tokenizer is part of the graph) and returns, per text, one probability or two-or-more logits.',
    ),
  inputName: z.string().optional().describe('The string input; default: the model\'s first input.'),
  outputName: z.string().optional().describe('The score output; default: the model\'s first output.'),
  injectionLabel: z.number().int().min(0).default(1).describe('Which logit/probability column means "injection".'),
  ...common,
});

export const classifierSchema = z.discriminatedUnion('type', [httpClassifierSchema, onnxClassifierSchema]);

export type ClassifierConfig = z.infer<typeof classifierSchema>;
export type HttpClassifierConfig = z.infer<typeof httpClassifierSchema>;
export type OnnxClassifierConfig = z.infer<typeof onnxClassifierSchema>;
