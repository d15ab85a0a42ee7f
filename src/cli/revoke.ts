/**
 * `portcullis revoke --all | --session ID | --subject SUB`: end sessions now, and refuse every
 * token issued before this moment (for everyone, or one subject) from now on.
 */
import { ADMIN_OPTIONS, ADMIN_USAGE, adminCall, adminTarget } from './admin-client.ts';
import { CliError, parse } from './common.ts';
import type { Command } from './main.ts';

const usage = `Usage: portcullis revoke --all | --session ID | --subject SUB [--reason TEXT] [where]

End the matching sessions on every gateway reached, and from now on refuse tokens issued before
this moment (--all: every subject's; --subject: that subject's). A revoked client must start a
new session, with a new token where tokens are in use.

${ADMIN_USAGE}
      --all            every session and token
      --session ID     one session (its Mcp-Session-Id, as in the audit log)
      --subject SUB    every session and token of one principal
  -h, --help           this help`;

export const revokeCommand: Command = {
  summary: 'end sessions and reject tokens issued before now (all, a session, a subject)',
  usage,
  async run(argv) {
    const { values } = parse(argv, { ...ADMIN_OPTIONS, all: { type: 'boolean' }, session: { type: 'string' }, subject: { type: 'string' } }, usage);
    const all = Boolean(values.all);
    const session = values.session as string | undefined;
    const subject = values.subject as string | undefined;
    if ([all, session !== undefined, subject !== undefined].filter(Boolean).length !== 1) throw new CliError(`give exactly one of --all, --session, --subject\n\n${usage}`);
    const now = new Date().toISOString();
    const out = await adminCall(adminTarget(values), '/admin/revoke', { all: all || undefined, session, subject, reason: values.reason }, (s) => {
      if (all) s.revocations.all = now;
      if (subject) s.revocations.subjects[subject] = now;
      if (session) s.revocations.sessions[session] = now;
    });
    const what = all ? 'everything' : subject ? `subject ${subject}` : `session ${session}`;
    if (out.via === 'admin-api') process.stdout.write(`revoked ${what} via ${out.url}: ${String(out.body.sessionsEnded)} session(s) ended\n`);
    else process.stdout.write(`revoked ${what} in ${out.path}\n`);
    return 0;
  },
};
