/**
 * B1 over stdio: a pipe-through process. It starts the server given after `--` and copies bytes
 * stdin -> child stdin and child stdout -> stdout without looking at them: the floor of any stdio
 * proxy (one more process, two more pipe hops).
 *
 *   node bench/pipe-proxy.ts -- <command> [args...]
 */
import { spawn } from 'node:child_process';

const dd = process.argv.indexOf('--');
const [command, ...args] = process.argv.slice(dd + 1);
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
process.stdin.pipe(child.stdin);
child.stdout.pipe(process.stdout);
child.on('exit', (code) => process.exit(code ?? 1));
process.stdin.on('end', () => child.stdin.end());
process.on('SIGTERM', () => {
  child.kill('SIGTERM');
  process.exit(0);
});
