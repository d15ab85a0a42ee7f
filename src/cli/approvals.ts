/**
 * `portcullis approvals list [--json] | approve ID | deny ID`: the operator's side of human
 * approval (`approval: required` rules). Through the admin API of a running `portcullis run`
 * when one is configured, else on the shared store itself: Redis when --config sets
 * `mcp.state.url` (every replica hears the decision), else the approvals file in the state
 * directory, which every gateway sharing it watches (like `lockdown`). The waiting gateway
 * audits the decision.
 */
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { APPROVAL_ID, ApprovalStoreError, operatorDecision, type ApprovalStore, type PendingApproval } from '../approvals/approval-store.ts';
import { APPROVALS_FILE, FileApprovalStore } from '../approvals/file-approval-store.ts';
import { RedisApprovalStore } from '../approvals/redis-approval-store.ts';
import { ADMIN_OPTIONS, ADMIN_USAGE, adminRequest, adminTarget, type AdminTarget } from './admin-client.ts';
import { CliError, parse, withStateConnection } from './common.ts';
import type { Command } from './main.ts';

const usage = `Usage: portcullis approvals list [--json] [where]
       portcullis approvals approve ID [--reason TEXT] [where]
       portcullis approvals deny ID [--reason TEXT] [where]

list     the tool calls waiting for a person's yes: id, server, tool, principal, requestedAt,
         expiresAt, the redacted arguments (--json: a JSON array)
approve  let the call run; deny  refuse it. The first decision wins; audited by the gateway.
         Without an admin listener: on Redis when --config sets mcp.state.url (every replica
         sees it), else on the approvals file in the state directory.

${ADMIN_USAGE}
      --json            list: machine-readable
  -h, --help            this help`;

/** The store the gateways use when no admin listener answers: Redis (`mcp.state.url`) or the state directory. */
async function withStore<T>(t: AdminTarget, fn: (store: ApprovalStore, where: string, via: 'shared-state' | 'state-file') => Promise<T>): Promise<T> {
  if (t.shared) {
    return withStateConnection(t.shared, async (conn) => {
      const store = new RedisApprovalStore(conn);
      try {
        return await fn(store, conn.where(), 'shared-state');
      } finally {
        await store.close();
      }
    });
  }
  const store = new FileApprovalStore(join(t.stateDir, APPROVALS_FILE));
  try {
    return await fn(store, store.path, 'state-file');
  } finally {
    await store.close();
  }
}

export const approvalsCommand: Command = {
  summary: 'tool calls waiting for human approval: list, approve, deny',
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, { ...ADMIN_OPTIONS, json: { type: 'boolean' } }, usage);
    const [sub, id, extra] = positionals;
    if (extra !== undefined) throw new CliError(`one ID at a time\n\n${usage}`);
    const t = adminTarget(values);
    try {
      if (sub === 'list') {
        const api = await adminRequest(t, 'GET', '/admin/approvals');
        const list = api ? ((api.body as { approvals: PendingApproval[] }).approvals ?? []) : await withStore(t, (store) => store.list());
        if (values.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
        else if (!list.length) process.stdout.write('no calls waiting for approval\n');
        else for (const p of list) process.stdout.write(`${p.id}  ${p.requestedAt}  ${p.server}/${p.tool}  by ${p.principal}  until ${p.expiresAt}  ${JSON.stringify(p.arguments ?? {})}\n`);
        return 0;
      }
      if (sub !== 'approve' && sub !== 'deny') throw new CliError(`expected list, approve ID or deny ID\n\n${usage}`);
      if (!id || !APPROVAL_ID.test(id)) throw new CliError(`'${id ?? ''}' is not an approval id (ap- and 24 hex digits; see 'portcullis approvals list')`);
      const reason = values.reason as string | undefined;
      const api = await adminRequest(t, 'POST', `/admin/approvals/${id}/${sub}`, reason ? { reason } : {});
      let decided: { approved: boolean; by: string; first: boolean; where: string };
      if (api) decided = { ...(api.body as Omit<typeof decided, 'where'>), where: `via ${api.url}` };
      else {
        decided = await withStore(t, async (store, where, via) => {
          const out = await operatorDecision(store, id, sub === 'approve', { by: `${userInfo().username} (portcullis approvals)`, via, reason });
          if (!out) throw new CliError(`${id}: no such approval waiting (it may have timed out; see 'portcullis approvals list')`, 1);
          return { approved: out.decision.approved, by: out.decision.by, first: out.first, where: `in ${where}` };
        });
      }
      if (!decided.first) throw new CliError(`${id} was already ${decided.approved ? 'approved' : 'refused'} by ${decided.by}`, 1);
      process.stdout.write(`${id} ${decided.approved ? 'approved' : 'refused'} ${decided.where}\n`);
      return 0;
    } catch (err) {
      if (err instanceof ApprovalStoreError) throw new CliError(err.message, 1);
      throw err;
    }
  },
};
