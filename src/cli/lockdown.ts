/**
 * `portcullis lockdown on [--allow PATTERN...] | off | status`: the emergency switch. While it is
 * on, every tool call is refused with an error naming the lockdown, except tools matching an
 * allowlist pattern; it survives restarts until it is turned off.
 */
import { ADMIN_OPTIONS, ADMIN_USAGE, adminCall, adminTarget, readIncident } from './admin-client.ts';
import { CliError, parse } from './common.ts';
import type { Command } from './main.ts';

const usage = `Usage: portcullis lockdown on [--allow PATTERN]... [--reason TEXT] [where]
       portcullis lockdown off [where]
       portcullis lockdown status [where]

on      refuse every tool call, except tools matching an --allow glob (their own name, or
        server__tool for that server's tools only), on every gateway reached; audited; survives restarts
off     lift it
status  show what is in force (from the state file)

${ADMIN_USAGE}
  -a, --allow PATTERN   emergency allowlist entry (repeat for more)
  -h, --help            this help`;

export const lockdownCommand: Command = {
  summary: 'emergency lockdown on a running gateway: refuse every tool call but an allowlist',
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, { ...ADMIN_OPTIONS, allow: { type: 'string', short: 'a', multiple: true } }, usage);
    const sub = positionals[0];
    const t = adminTarget(values);
    if (sub === 'status') {
      const s = await readIncident(t);
      process.stdout.write(JSON.stringify(s.lockdown, null, 2) + '\n');
      return 0;
    }
    if (sub !== 'on' && sub !== 'off') throw new CliError(`expected 'on', 'off' or 'status'\n\n${usage}`);
    const on = sub === 'on';
    const allow = (values.allow as string[] | undefined) ?? [];
    if (!on && allow.length) throw new CliError('--allow goes with `lockdown on`');
    const reason = values.reason as string | undefined;
    const out = await adminCall(t, '/admin/lockdown', { enabled: on, allow, reason }, (s) => {
      s.lockdown = on ? { enabled: true, allow, since: new Date().toISOString(), by: 'portcullis lockdown (state file)', reason } : { enabled: false, allow: [] };
    });
    const where = out.via === 'admin-api' ? `via ${out.url}` : `in ${out.path}`;
    process.stdout.write(on ? `lockdown ON ${where}: tool calls refused${allow.length ? ` except ${allow.join(', ')}` : ''}\n` : `lockdown OFF ${where}\n`);
    return 0;
  },
};
