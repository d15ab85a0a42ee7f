/**
 * Preloaded (`node --import`) into peers that listen on every interface by default (supergateway
 * calls `app.listen(port)`): a listen without a host is bound to 127.0.0.1. The bench never
 * opens a port beyond loopback.
 */
import { Server } from 'node:net';

const listen = Server.prototype.listen;
Server.prototype.listen = function (this: Server, ...args: unknown[]) {
  const [first, second] = args;
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof second !== 'string') args.splice(1, 0, '127.0.0.1');
  } else if (first && typeof first === 'object' && !('path' in first) && !('host' in first)) {
    args[0] = { ...first, host: '127.0.0.1' };
  }
  return (listen as (...a: unknown[]) => Server).apply(this, args);
} as typeof Server.prototype.listen;
