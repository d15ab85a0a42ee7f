/**
 * Runs INSIDE the sandbox (`network: allowlist`), as the sandbox's first program:
 *
 *   node egress-bridge.ts <port> <unix-socket> -- <server argv...>
 *
 * Most HTTP clients take a proxy as `http://host:port`, not as a unix socket, and the sandbox's
 * network namespace has only loopback. So this listens on 127.0.0.1:<port> in that namespace and
 * relays each connection, byte for byte, to the gateway's filtering proxy (egress-proxy.ts) over
 * the socket bound in; then it starts the server (argv, no shell) with the inherited stdio and
 * exits with it. It decides nothing: the allowlist is enforced outside, where the server cannot
 * touch it. Standalone on purpose (only node: imports): it is bound in alone.
 */
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

const [port, socketPath, dashes, command, ...args] = process.argv.slice(2);
if (!port || !socketPath || dashes !== '--' || !command) {
  process.stderr.write('usage: egress-bridge <port> <unix-socket> -- <command> [args...]\n');
  process.exit(64);
}

const server = createServer((client) => {
  const upstream = connect(socketPath);
  client.pipe(upstream);
  upstream.pipe(client);
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', end);
  upstream.on('error', end);
  client.on('close', end);
  upstream.on('close', end);
});

server.listen(Number(port), '127.0.0.1', () => {
  const child = spawn(command, args, { stdio: 'inherit' });
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  child.on('error', (err) => {
    process.stderr.write(`egress-bridge: cannot start ${command}: ${err.message}\n`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
});
server.on('error', (err) => {
  process.stderr.write(`egress-bridge: cannot listen on 127.0.0.1:${port}: ${err.message}\n`);
  process.exit(71);
});
