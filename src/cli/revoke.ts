/**
 * `portcullis revoke --all | --session ID | --subject SUB | --api-key ID | --certificate FP`: end
 * the matching sessions now, and refuse every matching credential that exists at this moment
 * (tokens, API keys, client certificates) from now on. `--reinstate` lifts a subject's, key's or
 * certificate's earlier revocations. The rules are in src/incident/revocations.ts.
 */
import { applyRevoke, normalizeFingerprint, type RevokeRequest } from '../incident/revocations.ts';
import { ADMIN_OPTIONS, ADMIN_USAGE, adminCall, adminTarget } from './admin-client.ts';
import { CliError, parse } from './common.ts';
import type { Command } from './main.ts';

const usage = `Usage: portcullis revoke --all | --session ID | --subject SUB | --api-key ID | --certificate FP
                         [--reason TEXT] [where]
       portcullis revoke --reinstate --subject SUB | --api-key ID | --certificate FP [where]

End the matching sessions on every gateway reached, and from now on refuse every matching
credential that exists at this moment: bearer tokens issued before it (iat), API keys made
before it (createdAt in mcp.identity.apiKeys; a key without one counts as older), client
certificates issued before it (notBefore). A revoked caller needs a new credential — a fresh
token, a key from 'portcullis keys api-key', a newly issued certificate — or --reinstate.

${ADMIN_USAGE}
      --all              every session and every credential
      --session ID       one session (its Mcp-Session-Id, as in the audit log)
      --subject SUB      every session and credential of one principal (any credential kind)
      --api-key ID       one API key, by its id in mcp.identity.apiKeys
      --certificate FP   one client certificate, by its SHA-256 fingerprint (hex, colons allowed;
                         the audit records' credential of an mtls caller)
      --reinstate        lift the earlier revocations of that subject, key or certificate (a
                         later revocation applies again)
  -h, --help             this help`;

export const revokeCommand: Command = {
  summary: 'end sessions and refuse credentials that exist now (all, a session, a subject, an API key, a certificate)',
  usage,
  async run(argv) {
    const { values } = parse(
      argv,
      { ...ADMIN_OPTIONS, all: { type: 'boolean' }, session: { type: 'string' }, subject: { type: 'string' }, 'api-key': { type: 'string' }, certificate: { type: 'string' }, reinstate: { type: 'boolean' } },
      usage,
    );
    const req: RevokeRequest = {
      all: values.all ? true : undefined,
      session: values.session as string | undefined,
      subject: values.subject as string | undefined,
      apiKey: values['api-key'] as string | undefined,
      certificate: values.certificate as string | undefined,
      reinstate: values.reinstate ? true : undefined,
    };
    const given = [req.all, req.session, req.subject, req.apiKey, req.certificate].filter((x) => x !== undefined);
    if (given.length !== 1) throw new CliError(`give exactly one of --all, --session, --subject, --api-key, --certificate\n\n${usage}`);
    if (req.reinstate && (req.all || req.session !== undefined)) throw new CliError('--reinstate applies to --subject, --api-key or --certificate');
    if (req.certificate !== undefined) {
      const fp = normalizeFingerprint(req.certificate);
      if (!fp) throw new CliError(`--certificate '${req.certificate}': give the SHA-256 fingerprint (64 hex digits, colons allowed)`);
      req.certificate = fp;
    }
    const now = new Date().toISOString();
    const out = await adminCall(adminTarget(values), '/admin/revoke', { ...req, reason: values.reason }, (s) => applyRevoke(s, req, now));
    const what = req.all ? 'everything' : req.subject ? `subject ${req.subject}` : req.apiKey ? `API key ${req.apiKey}` : req.certificate ? `certificate ${req.certificate}` : `session ${req.session}`;
    const verb = req.reinstate ? 'reinstated' : 'revoked';
    if (out.via === 'admin-api') process.stdout.write(`${verb} ${what} via ${out.url}${req.reinstate ? '' : `: ${String(out.body.sessionsEnded)} session(s) ended`}\n`);
    else process.stdout.write(`${verb} ${what} in ${out.path}\n`);
    return 0;
  },
};
