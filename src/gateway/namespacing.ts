/**
 * Names across several servers.
 *
 * With one server, names pass through unchanged. With more than one, every tool and prompt is
 * exposed as `<server>__<name>` and every resource URI (and URI template) as `<server>+<uri>`.
 * Server names are `[a-z0-9-]` (no `_`, no `+`), so the first `__` or `+` always splits the
 * prefix unambiguously, and no server can shadow another's names: both parts are checked on the
 * way in, so `a__b__c` is server `a`, tool `b__c`, never server `a__b`.
 *
 * The part after the prefix is the server's own name and may itself contain `__` or `+`: server
 * `evil` may call a tool `files__read_all_secrets`. Policy patterns therefore do not match the
 * exposed string blindly: see policy/name-match.ts.
 */
export const TOOL_SEP = '__';
export const URI_SEP = '+';

export class Namespacer {
  readonly enabled: boolean;
  /** Every configured server, in order (policy/name-match.ts reads server prefixes with it). */
  readonly serverNames: readonly string[];
  private readonly servers: ReadonlySet<string>;
  private readonly only: string;

  constructor(serverNames: string[]) {
    this.serverNames = Object.freeze([...serverNames]);
    this.servers = new Set(serverNames);
    this.enabled = serverNames.length > 1;
    this.only = serverNames[0] ?? '';
  }

  exposeName(server: string, name: string): string {
    return this.enabled ? `${server}${TOOL_SEP}${name}` : name;
  }

  exposeUri(server: string, uri: string): string {
    return this.enabled ? `${server}${URI_SEP}${uri}` : uri;
  }

  /** `undefined` when the name carries no known server prefix. */
  splitName(exposed: string): { server: string; name: string } | undefined {
    if (!this.enabled) return this.only ? { server: this.only, name: exposed } : undefined;
    const i = exposed.indexOf(TOOL_SEP);
    if (i <= 0) return undefined;
    const server = exposed.slice(0, i);
    const name = exposed.slice(i + TOOL_SEP.length);
    return this.servers.has(server) && name ? { server, name } : undefined;
  }

  splitUri(exposed: string): { server: string; uri: string } | undefined {
    if (!this.enabled) return this.only ? { server: this.only, uri: exposed } : undefined;
    const i = exposed.indexOf(URI_SEP);
    if (i <= 0) return undefined;
    const server = exposed.slice(0, i);
    const uri = exposed.slice(i + URI_SEP.length);
    return this.servers.has(server) && uri ? { server, uri } : undefined;
  }
}
