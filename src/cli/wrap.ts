/**
 * `portcullis wrap [--config FILE] -- <command> [args...]`: MCP on our own stdin/stdout in front of
 * one stdio server. A client's config changes in one line: the command becomes `portcullis wrap --`
 * followed by the old command.
 */
import { readFileSync } from 'node:fs';
import { loadConfigText } from '../config/load.ts';
import { Gateway } from '../gateway/gateway.ts';
import { serveStdio } from '../transports/stdio-server.ts';
import { createLogger, lineLogger } from '../monitor/logger.ts';
import { pinGuardFromConfig } from '../pins/pins-from-config.ts';
import { CliError, gateUnenforced, loadOrExplain, monitoringOrExplain, onShutdownSignals, parse, pinsOrExplain, printNotes } from './common.ts';
import type { Command } from './main.ts';
import { parseDocument } from 'yaml';

const usage = `Usage: portcullis wrap [--config FILE] [--name NAME] [--allow-unenforced] -- <command> [args...]

Speak MCP on stdin/stdout, start <command> as the MCP server (argv, never a shell), and apply the
policy to everything between them. Logs go to stderr; stdout carries only MCP.

Without --config every tool is allowed (validation, rate limits and audit still apply) and a
notice says so; with --config, its policy applies, and overrides under mcp.skills or
mcp.servers for NAME apply to this server.

Options:
  -c, --config FILE       the YAML configuration
  -n, --name NAME         the server's name for overrides and audit (default: upstream)
      --allow-unenforced  start even if the configuration enables settings not enforced yet
  -h, --help              this help

Example (Claude Desktop / Cursor / VS Code "command" + "args"):
  "command": "npx", "args": ["portcullis", "wrap", "--config", "/etc/portcullis.yaml", "--",
                             "npx", "-y", "@modelcontextprotocol/server-filesystem", "/data"]`;

/** Used when no --config is given: everything callable, everything else at its safe default. */
const WRAP_DEFAULTS = `mcp:
  security:
    toolAccess:
      defaultPolicy: allow
`;

export const wrapCommand: Command = {
  summary: 'front one stdio MCP server: portcullis wrap -- <command> [args...]',
  usage,
  async run(argv) {
    const dd = argv.indexOf('--');
    if (dd === -1 || dd === argv.length - 1) throw new CliError(`the server command is missing after --\n\n${usage}`);
    const [command, ...args] = argv.slice(dd + 1);
    const { values } = parse(argv.slice(0, dd), { config: { type: 'string', short: 'c' }, name: { type: 'string', short: 'n' }, 'allow-unenforced': { type: 'boolean' } }, usage);
    const name = (values.name as string | undefined) ?? 'upstream';
    const file = (values.config as string | undefined) ?? '<wrap defaults>';
    let text = WRAP_DEFAULTS;
    if (values.config) {
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new CliError(`${file}: cannot read: ${(err as Error).message}\nfix: check the --config path`, 1);
      }
    } else {
      process.stderr.write('portcullis: notice: no --config given: every tool is allowed (validation, rate limits and audit apply)\n');
    }
    // The wrapped command replaces any mcp.servers of the file: wrap fronts exactly one server.
    const doc = parseDocument(text);
    const existing = (doc.getIn(['mcp', 'servers']) as { toJSON?: () => unknown[] } | undefined)?.toJSON?.() as { name?: string; security?: unknown }[] | undefined;
    const own = existing?.find((s) => s.name === name);
    doc.setIn(['mcp', 'servers'], [{ name, command, args, ...(own?.security ? { security: own.security } : {}) }]);
    const loaded = loadOrExplain(() => loadConfigText(doc.toString(), file));
    printNotes(loaded);
    gateUnenforced(loaded.config, 'wrap', Boolean(values['allow-unenforced']), file);
    const logger = createLogger({ level: loaded.config.mcp.logging.level, mode: 'wrap' });
    const mon = await monitoringOrExplain(loaded, 'wrap', logger);
    const pins = await pinsOrExplain(() => pinGuardFromConfig(loaded, { audit: mon.audit, log: lineLogger(logger), unnamedWrap: values.name === undefined }));
    const gw = new Gateway(loaded, { mode: 'wrap', audit: mon.audit, log: lineLogger(logger), incident: mon.incident, monitor: mon.metrics, pins });
    await mon.attach(gw);
    const stop = async (reason: string) => {
      await gw.shutdown(reason);
      await mon.close();
    };
    onShutdownSignals(stop);
    await gw.start();
    await serveStdio(gw);
    await stop('stdin closed');
    return 0;
  },
};
