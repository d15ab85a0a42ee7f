/**
 * `portcullis server disable|enable NAME`: isolate one upstream. A disabled server is stopped,
 * its calls in flight fail, it is left out of every list and refused, and it is not restarted
 * until it is enabled again; the state survives restarts.
 */
import { ADMIN_OPTIONS, ADMIN_USAGE, adminCall, adminTarget } from './admin-client.ts';
import { CliError, parse } from './common.ts';
import type { Command } from './main.ts';
import { SERVER_NAME_RE } from '../config/schema.ts';

const usage = `Usage: portcullis server disable NAME [--reason TEXT] [where]
       portcullis server enable NAME [where]

${ADMIN_USAGE}
  -h, --help            this help`;

export const serverCommand: Command = {
  summary: 'isolate (disable) or restore (enable) one upstream server',
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, { ...ADMIN_OPTIONS }, usage);
    const [sub, name] = positionals;
    if ((sub !== 'disable' && sub !== 'enable') || !name) throw new CliError(`expected 'disable NAME' or 'enable NAME'\n\n${usage}`);
    if (!SERVER_NAME_RE.test(name)) throw new CliError(`'${name}' is not a server name`);
    const disable = sub === 'disable';
    const reason = values.reason as string | undefined;
    const out = await adminCall(adminTarget(values), `/admin/servers/${name}/${sub}`, { reason }, (s) => {
      if (disable) s.disabledServers[name] = { since: new Date().toISOString(), by: 'portcullis server (state file)', reason };
      else delete s.disabledServers[name];
    });
    process.stdout.write(`server ${name} ${disable ? 'disabled' : 'enabled'} ${out.via === 'admin-api' ? `via ${out.url}` : `in ${out.path}`}\n`);
    return 0;
  },
};
