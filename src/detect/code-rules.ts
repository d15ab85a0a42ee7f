/**
 * Code-execution and template-extraction strings in tool arguments and results: the shapes an
 * injected agent sends to a tool that evaluates, renders or runs what it is given (a template
 * engine, a notebook, a "run this snippet" tool), and that a hostile result plants for the next
 * call. Matched in the same RE2.Set pass as the injection rules (injection.ts), on the same
 * normalized text (lowercase, whitespace collapsed, markdown `_` at word edges removed, so
 * `__import__` reads `import` and `__proto__` reads `proto`).
 *
 * Precision decides the severity, because ordinary code is full of these words: a code-review or
 * file-writing tool's arguments legitimately hold `exec(`, `eval(`, `child_process`,
 * `process.env` and `<script>`, and a fetched web page holds `<script>` in every result.
 * - low (flag, audit only, under the default actions): the bare vocabulary the seed lists;
 * - high (block in arguments, quarantine in results): shapes that only do one thing — a
 *   `child_process` function called on the spot, `process.mainModule.require`, Python's
 *   `__import__('os').system(`, `eval(atob(…))`, a template reading a secret-named config key
 *   (`{{config.PASSWORD}}`) or walking to `__globals__`/`__subclasses__` (server-side template
 *   injection);
 * - `inCode`: the severity when the whole string reads as source code (code-context.ts). A
 *   `${process.env.API_KEY}` or `{{config}}` or `constructor["prototype"]` inside a source file is
 *   what code does; the same expression as a URL, a name or a message is an attempt to have a
 *   template engine or a shell expand it, and is high.
 *
 * Sources: the seed's denied-pattern lists; OWASP's server-side template injection and prototype
 * pollution pages; PortSwigger's SSTI payload families (Jinja2 `__subclasses__`, Twig `_self`).
 */
import type { InjectionRule } from './injection-rules.ts';
import type { Severity } from './finding.ts';

export interface CodeRule extends InjectionRule {
  family: 'code';
  /** Severity when the string reads as source code; `severity` otherwise. */
  inCode?: Severity;
}

const Q = `['"\\x60]`;
const SP = '\\s{0,3}';
const SECRET_KEY = '[a-z0-9_]{0,40}(?:password|passwd|secret|token|api_?key|private_?key|credential)';

export const CODE_RULES: readonly CodeRule[] = [
  // --- unambiguous: block wherever they appear
  {
    id: 'code.child-process-exec',
    family: 'code',
    pattern: `require${SP}\\(${SP}${Q}(?:node:)?child_process${Q}${SP}\\)${SP}\\.${SP}(?:exec|execsync|execfile|execfilesync|spawn|spawnsync|fork)${SP}\\(`,
    severity: 'high',
    // Measured: one real source file in benign-code.jsonl runs `require('child_process').execSync('ldd --version')`.
    inCode: 'medium',
    note: "require('child_process').exec(…): a shell command run on the spot (medium inside source code)",
  },
  {
    id: 'code.sandbox-escape',
    family: 'code',
    pattern: `process${SP}\\.${SP}mainmodule${SP}\\.${SP}require|process${SP}\\.${SP}binding${SP}\\(${SP}${Q}spawn_sync|constructor${SP}\\.${SP}constructor${SP}\\(${SP}${Q}${SP}return${SP}(?:process|this|global)`,
    severity: 'high',
    note: 'the Node vm/sandbox escapes: process.mainModule.require, this.constructor.constructor("return process")',
  },
  {
    id: 'code.python-os-exec',
    family: 'code',
    pattern: `\\bimport${SP}\\(${SP}${Q}(?:os|subprocess|pty|commands)${Q}${SP}\\)${SP}\\.${SP}(?:system|popen|spawn\\w*|call|run|check_output|getoutput|exec\\w*)${SP}\\(`,
    severity: 'high',
    note: "__import__('os').system(…): Python's one-expression shell",
  },
  {
    id: 'code.eval-decoded',
    family: 'code',
    pattern: `\\b(?:eval|exec|function)${SP}\\(${SP}(?:atob|unescape|decodeuricomponent|string\\.fromcharcode|buffer\\.from|base64\\.b64decode|bytes\\.fromhex|codecs\\.decode)${SP}\\(`,
    severity: 'high',
    note: 'eval(atob(…)): code hidden in an encoding and run, the shape of a dropper',
  },
  {
    id: 'code.template-secret',
    family: 'code',
    pattern: `\\{\\{-?${SP}(?:config|settings|app\\.config|self\\.config|request\\.application\\.config|env|process\\.env)${SP}(?:\\.|\\[${SP}${Q}|\\.get${SP}\\(${SP}${Q})${SP}${Q}?${SP}${SECRET_KEY}`,
    severity: 'high',
    note: '{{config.PASSWORD}}: a template expression that reads a secret-named configuration key',
  },
  {
    id: 'code.template-introspection',
    family: 'code',
    pattern: `(?:\\{\\{|\\{%)[^}%]{0,120}\\.(?:globals|builtins|subclasses|mro)\\b|(?:\\{\\{|\\{%)[^}%]{0,40}\\b_?self\\.env\\b`,
    severity: 'high',
    note: "{{ ''.__class__.__mro__[1].__subclasses__() }}, {{_self.env…}}: server-side template injection walking to the interpreter",
  },
  // --- depends on context: high in a name, URL or message, low inside source code
  {
    id: 'code.env-template',
    family: 'code',
    pattern: `\\$\\{${SP}process${SP}\\.${SP}env\\b|\\{\\{${SP}(?:process\\.)?env\\.[a-z_]`,
    severity: 'high',
    inCode: 'low',
    note: '${process.env.X} / {{env.X}} outside code: a value built to be expanded by whatever evaluates it',
  },
  {
    id: 'code.template-config',
    family: 'code',
    pattern: `\\{\\{-?${SP}config${SP}(?:\\}\\}|\\.items${SP}\\(|\\|)`,
    severity: 'high',
    inCode: 'low',
    note: '{{config}}, {{config.items()}}: dumps the whole application configuration (Flask/Jinja)',
  },
  {
    id: 'code.prototype-access',
    family: 'code',
    pattern: `constructor${SP}\\[${SP}${Q}prototype${Q}${SP}\\]|\\[${SP}${Q}_{0,2}proto_{0,2}${Q}${SP}\\]`,
    severity: 'high',
    inCode: 'low',
    note: 'constructor["prototype"], ["__proto__"]: prototype-pollution keys spelled as strings',
  },
  {
    id: 'code.child-process',
    family: 'code',
    pattern: `\\bchild_process\\b|require${SP}\\(${SP}${Q}(?:os|subprocess)${Q}`,
    severity: 'medium',
    inCode: 'low',
    note: 'the child_process module named',
  },
  // --- vocabulary: flagged for the audit record only, ordinary code says all of it
  { id: 'code.exec-call', family: 'code', pattern: `\\b(?:exec|eval|system|execsync|popen|shell_exec|passthru)${SP}\\(`, severity: 'low', note: 'exec( / eval( / system(' },
  { id: 'code.fs-destructive', family: 'code', pattern: `\\bfs${SP}\\.${SP}(?:unlinksync|rmsync|rmdirsync|rm|unlink|rmdir)\\b`, severity: 'low', note: 'fs.unlinkSync and friends' },
  { id: 'code.process-env', family: 'code', pattern: `\\bprocess${SP}\\.${SP}env\\b`, severity: 'low', note: 'process.env' },
  { id: 'code.script-tag', family: 'code', pattern: `<${SP}script\\b`, severity: 'low', note: '<script>: every HTML page has one' },
];
