/**
 * `portcullis alerts list [--since 7d] | ack ID [--by NAME]`: the alerts in the event store, and
 * acknowledging one (the report shows which are still open).
 */
import { existsSync } from 'node:fs';
import { loadConfigFile } from '../config/load.ts';
import type { EventStore } from '../store/event-store.ts';
import { storeFromConfig, storeFromUrl } from '../store/open-store.ts';
import { CliError, loadOrExplain, parse } from './common.ts';
import { parseDuration } from './duration.ts';
import type { Command } from './main.ts';

const usage = `Usage: portcullis alerts list [--since 7d] (--config FILE | --db URL)
       portcullis alerts ack ID [--by NAME] (--config FILE | --db URL)

Options:
  -c, --config FILE   the event store of this configuration
      --db URL        or this store: postgres://... (?schema=NAME), sqlite:PATH or a .db path
  -s, --since SPAN    list: how far back (default 7d)
      --by NAME       ack: who acknowledges (default: $USER)
  -h, --help          this help`;

/** The store named by --db or by --config's destinations, with a readable failure. */
export function openStoreForCli(values: Record<string, unknown>, help: string, readOnly = true): EventStore {
  try {
    if (values.db) {
      const url = values.db as string;
      if (!/^postgres/.test(url) && !existsSync(url.replace(/^sqlite:/, ''))) throw new CliError(`${url}: no such database file`, 1);
      return storeFromUrl(url, { readOnly });
    }
    if (values.config) return storeFromConfig(loadOrExplain(() => loadConfigFile(values.config as string)).config, { readOnly });
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot open the event store: ${(err as Error).message}`, 1);
  }
  throw new CliError(`give --config FILE or --db URL\n\n${help}`);
}

export const alertsCommand: Command = {
  summary: 'list alerts from the event store, or acknowledge one',
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, { config: { type: 'string', short: 'c' }, db: { type: 'string' }, since: { type: 'string', short: 's' }, by: { type: 'string' } }, usage);
    const [sub, id] = positionals;
    if (sub !== 'list' && sub !== 'ack') throw new CliError(`expected 'list' or 'ack ID'\n\n${usage}`);
    if (sub === 'ack' && !/^\d{1,15}$/.test(id ?? '')) throw new CliError(`ack needs an alert id\n\n${usage}`);
    const span = parseDuration((values.since as string | undefined) ?? '7d');
    if (span === undefined) throw new CliError(`--since takes a span such as 24h or 7d\n\n${usage}`);
    const store = openStoreForCli(values, usage, sub === 'list');
    try {
      if (sub === 'ack') {
        const ok = await store.acknowledgeAlert(Number(id), (values.by as string | undefined) ?? process.env.USER ?? 'operator', new Date());
        process.stdout.write(ok ? `alert ${id} acknowledged\n` : `no unacknowledged alert ${id}\n`);
        return ok ? 0 : 1;
      }
      const until = new Date();
      const alerts = await store.alerts({ since: new Date(until.getTime() - span), until }, 500);
      for (const a of alerts) process.stdout.write(`#${a.id} ${a.created_at} [${a.severity}] ${a.alert_type} ${a.acknowledged ? 'acknowledged' : 'OPEN'}: ${a.message}\n`);
      if (!alerts.length) process.stdout.write('no alerts\n');
      return 0;
    } finally {
      await store.close();
    }
  },
};
