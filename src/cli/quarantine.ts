/**
 * `portcullis quarantine list | show ID | release ID`: review what content inspection withheld.
 *
 * A quarantined result was replaced, on the wire, by a short notice; the agent has moved on and
 * the call is answered, so nothing can be re-delivered to it. `release` records that an operator
 * reviewed the item and judged it safe (audited as `quarantine_released`, with who and when) and
 * prints the original, so a person can hand it to the agent or the user themselves. `show` prints
 * an item (the original included) without changing it.
 */
import { userInfo } from 'node:os';
import { loadConfigFile } from '../config/load.ts';
import { createLogger } from '../monitor/logger.ts';
import { FileQuarantineStore } from '../quarantine/file-quarantine-store.ts';
import { QUARANTINE_ID, type QuarantineStore } from '../quarantine/quarantine-store.ts';
import { quarantineDirOf, quarantineStoreOf, releaseQuarantined } from '../quarantine/quarantine-release.ts';
import { CliError, loadOrExplain, monitoringOrExplain, parse, withStateConnection } from './common.ts';
import type { Command } from './main.ts';

const usage = `Usage: portcullis quarantine list [--json] (--config FILE | --dir DIR)
       portcullis quarantine show ID [--json] (--config FILE | --dir DIR)
       portcullis quarantine release ID [--by NAME] --config FILE

list     the withheld results, newest first: id, time, server, tool, rules (never the content)
show     one item with the original result it withheld
release  mark it reviewed and released (audited as quarantine_released) and print the original;
         the call it belonged to was already answered with the notice, so nothing is re-sent

  -c, --config FILE   the gateway's configuration (mcp.state.url: the items every replica
                      keeps in Redis; else mcp.security.inspection.quarantine.dir or
                      mcp.state.dir; the audit destinations for release)
      --dir DIR       the quarantine directory itself (list and show only)
      --by NAME       who released it (default: the OS user)
      --json          machine-readable output
  -h, --help          this help`;

export const quarantineCommand: Command = {
  summary: 'review results withheld by content inspection (list, show, release)',
  usage,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      { config: { type: 'string', short: 'c' }, dir: { type: 'string' }, by: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      usage,
    );
    if (values.help) {
      process.stdout.write(usage + '\n');
      return 0;
    }
    const [sub, id] = positionals;
    if (sub !== 'list' && sub !== 'show' && sub !== 'release') throw new CliError(`expected 'list', 'show ID' or 'release ID'\n\n${usage}`);
    const loaded = values.config ? loadOrExplain(() => loadConfigFile(values.config as string)) : undefined;
    const shared = values.dir === undefined && loaded?.config.mcp.state.url ? loaded.config.mcp.state : undefined;
    if (shared) return withStateConnection(shared, (conn) => review(quarantineStoreOf(loaded!.config, conn), conn.where()));
    const dir = (values.dir as string | undefined) ?? (loaded ? quarantineDirOf(loaded.config) : undefined);
    if (!dir) throw new CliError(`give --config FILE or --dir DIR\n\n${usage}`);
    return review(new FileQuarantineStore(dir, loaded?.config.mcp.security.inspection.quarantine ?? { maxBytes: Infinity, maxTotalBytes: Infinity }), dir);

    async function review(store: QuarantineStore, where: string): Promise<number> {
      const out = (v: unknown, text: string) => process.stdout.write(values.json ? JSON.stringify(v, null, 2) + '\n' : text);
      if (sub === 'list') {
        const items = await store.list();
        const lines = items.map((i) => `${i.id}  ${i.time}  ${i.server ?? '-'}/${i.tool ?? '-'}  ${[...new Set(i.findings.map((f) => f.rule))].join(',')}${i.released ? '  released' : ''}\n`);
        out(items, items.length ? lines.join('') : `no quarantined results in ${where}\n`);
        return 0;
      }
      if (!id || !QUARANTINE_ID.test(id)) throw new CliError(`'${id ?? ''}' is not a quarantine id (q- followed by 24 hex digits; see 'portcullis quarantine list')`);
      const found = await store.get(id);
      if (!found) throw new CliError(`${id}: no such item in ${where}`, 1);
      if (sub === 'show') {
        out(found, `${describe(found)}\n--- original result ---\n${found.original}\n`);
        return 0;
      }
      if (!loaded) throw new CliError('release needs --config FILE: it is audited to the configured destinations');
      const by = (values.by as string | undefined) ?? userInfo().username;
      const m = await monitoringOrExplain(loaded, 'wrap', createLogger({ mode: 'wrap' }));
      try {
        const item = (await releaseQuarantined(store, id, by, m.audit))!;
        out(item, `${describe(item)}\nreleased by ${item.released!.by} at ${item.released!.time} (the call was answered with the notice; nothing is re-sent)\n--- original result ---\n${item.original}\n`);
      } finally {
        await m.audit.close();
        await m.close();
      }
      return 0;
    }
  },
};

function describe(i: { id: string; time: string; server?: string; tool?: string; method: string; truncated: boolean; bytes: number; findings: Array<{ rule: string; severity: string; path?: string; score?: number }> }): string {
  const f = i.findings.map((x) => `  ${x.rule} (${x.severity}${x.score !== undefined ? `, score ${x.score}` : ''}) at ${x.path ?? '/'}`).join('\n');
  return `${i.id}  ${i.time}  ${i.method} ${i.server ?? '-'}/${i.tool ?? '-'}  ${i.bytes} bytes${i.truncated ? ' (stored cut)' : ''}\nfindings:\n${f}`;
}
