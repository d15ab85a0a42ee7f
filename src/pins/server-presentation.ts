/**
 * What clients see of a server's `initialize` result. The instructions are a system prompt the
 * server writes for the model, and serverInfo (title, description, icons, websiteUrl) is what a
 * client shows the user about it: both are pinned and scanned like a tool (pin-definition.ts,
 * kind `instructions`). While that pin is not trusted (drifted, pending, blocked, revoked) the
 * instructions are withheld and serverInfo is reduced to the configured server name and a plain
 * version: nothing the server wrote reaches the model or the user until an operator approves it.
 * Trusted, they pass with icons that would leave the server's origin stripped (pin-scan.ts).
 */
import { forClients, type ScannedServer } from './pin-scan.ts';

export interface ServerInit {
  serverInfo: { name: string; version: string; [k: string]: unknown };
  instructions?: string;
}

export interface Presented {
  instructions?: string;
  serverInfo: Record<string, unknown>;
}

const PLAIN_VERSION = /^[0-9A-Za-z.+_-]{1,64}$/;

export function presentInit(s: ScannedServer, init: ServerInit, trusted: boolean): Presented {
  if (!trusted) {
    const version = typeof init.serverInfo?.version === 'string' && PLAIN_VERSION.test(init.serverInfo.version) ? init.serverInfo.version : '0';
    return { serverInfo: { name: s.name, version } };
  }
  return { ...(typeof init.instructions === 'string' && { instructions: init.instructions }), serverInfo: forClients(s, init.serverInfo) };
}
