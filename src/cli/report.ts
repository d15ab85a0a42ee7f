/**
 * `portcullis report --since 24h [--format text|json|html]`: the security report from the event
 * store (the configuration's, or --db).
 */
import { writeFileSync } from 'node:fs';
import { openStoreForCli } from './alerts.ts';
import { buildReport, MAX_HOURS } from '../report/report-data.ts';
import { renderHtml } from '../report/report-html.ts';
import { renderText } from '../report/report-text.ts';
import { CliError, parse } from './common.ts';
import { parseDuration } from './duration.ts';
import type { Command } from './main.ts';

const usage = `Usage: portcullis report [--since 24h] [--format text|json|html] [--out FILE] (--config FILE | --db URL)

Totals by severity and event type, top tools and connections, events by hour, the alerts raised
(and whether acknowledged), and the verdicts on recent pin drift. The HTML report is one file
with inline charts, readable offline.

Options:
  -c, --config FILE   read the event store of this configuration
      --db URL        or this store: postgres://... (?schema=NAME), sqlite:PATH or a .db path
  -s, --since SPAN    how far back: 30m, 24h, 7d (default 24h, at most 92d)
  -f, --format F      text (default), json or html
  -o, --out FILE      write to FILE instead of stdout
  -h, --help          this help`;

export const reportCommand: Command = {
  summary: 'security report from the event store (text, json, or self-contained html)',
  usage,
  async run(argv) {
    const { values } = parse(
      argv,
      { config: { type: 'string', short: 'c' }, db: { type: 'string' }, since: { type: 'string', short: 's' }, format: { type: 'string', short: 'f' }, out: { type: 'string', short: 'o' } },
      usage,
    );
    const span = parseDuration((values.since as string | undefined) ?? '24h');
    if (span === undefined || span > MAX_HOURS * 3_600_000) throw new CliError(`--since takes a span such as 30m, 24h or 7d (at most 92d)\n\n${usage}`);
    const format = (values.format as string | undefined) ?? 'text';
    if (!['text', 'json', 'html'].includes(format)) throw new CliError(`--format is text, json or html\n\n${usage}`);
    const store = openStoreForCli(values, usage);
    const until = new Date();
    let out: string;
    try {
      const data = await buildReport(store, { since: new Date(until.getTime() - span), until });
      out = format === 'json' ? JSON.stringify(data, null, 2) + '\n' : format === 'html' ? renderHtml(data) : renderText(data);
    } catch (err) {
      throw new CliError(`${store.location}: cannot read the event store: ${(err as Error).message}`, 1);
    } finally {
      await store.close();
    }
    if (values.out) writeFileSync(values.out as string, out);
    else process.stdout.write(out);
    return 0;
  },
};
