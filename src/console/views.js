// The console's views other than live events: each a custom element over the admin API, and
// each action the same call the CLI makes (so it is audited the same way).
import { action, api, h, short, table, View } from './dom.js';

const enc = encodeURIComponent;

customElements.define('pc-approvals', class extends View {
  async render() {
    const { approvals } = await api('/admin/approvals');
    const rows = approvals.map((p) => h('tr', { 'data-id': p.id, 'data-tool': p.tool },
      h('td', {}, p.id), h('td', {}, p.server), h('td', {}, p.tool), h('td', {}, p.principal), h('td', {}, p.requestedAt), h('td', {}, p.expiresAt),
      h('td', {}, p.askedVia), h('td', { class: 'args' }, short(p.arguments)),
      h('td', {}, action('Approve', () => api(`/admin/approvals/${enc(p.id)}/approve`, {}), this), action('Deny', () => api(`/admin/approvals/${enc(p.id)}/deny`, {}), this, true))));
    return [h('h2', {}, 'Calls waiting for approval'), table(['id', 'server', 'tool', 'principal', 'requested', 'expires', 'asked', 'arguments', ''], rows, 'No call is waiting for approval.')];
  }
});

customElements.define('pc-alerts', class extends View {
  static every = 5000;
  async render() {
    const { alerts } = await api('/admin/alerts?since=7d');
    const rows = alerts.map((a) => h('tr', { 'data-id': a.id },
      h('td', {}, `#${a.id}`), h('td', {}, a.created_at), h('td', {}, a.severity), h('td', {}, a.alert_type), h('td', { class: 'reason' }, a.message),
      h('td', {}, a.acknowledged ? 'acknowledged' : action('Acknowledge', () => api(`/admin/alerts/${enc(a.id)}/ack`, {}), this))));
    return [h('h2', {}, 'Alerts (7 days)'), table(['id', 'time', 'severity', 'type', 'message', ''], rows, 'No alerts.')];
  }
});

function diffLines(lines) {
  const cls = (l) => (l.trimStart().startsWith('+ ') ? 'add' : l.trimStart().startsWith('- ') ? 'del' : undefined);
  return h('pre', {}, lines.map((l) => h('span', { class: cls(l) }, `${l}\n`)));
}

customElements.define('pc-pins', class extends View {
  static every = 3000;
  async render() {
    const { mode, pins, waiting } = await api('/admin/pins');
    const cards = waiting.map((d) => h('div', { class: 'card', 'data-pin': `${d.server}__${d.name}` },
      h('strong', {}, `${d.server} ${d.kind} ${d.name}: `), h('span', { class: 'deny' }, d.state), ` (seen ${d.seenAt})`,
      diffLines(d.lines),
      d.findings.map((f) => h('p', { class: 'deny' }, `finding: ${f.severity} ${f.rule} at ${f.path ?? '?'}: ${f.excerpt ?? ''}`)),
      action('Approve', () => api('/admin/pins/approve', { server: d.server, kind: d.kind, name: d.name }), this)));
    const rows = pins.map((p) => h('tr', {}, h('td', { class: p.state === 'pinned' ? 'allow' : 'deny' }, p.state), h('td', {}, p.server), h('td', {}, p.kind), h('td', {}, p.name), h('td', {}, p.origin ?? ''), h('td', {}, p.pinnedAt ?? '')));
    return [
      h('h2', {}, `Waiting for approval (${mode})`), cards.length ? cards : h('p', { class: 'empty' }, 'Nothing drifted, pending or blocked.'),
      h('h2', {}, 'All pins'), table(['state', 'server', 'kind', 'name', 'origin', 'pinned'], rows, 'No pins yet.'),
    ];
  }
});

customElements.define('pc-quarantine', class extends View {
  static every = 5000;
  async render() {
    const { items } = await api('/admin/quarantine');
    const rows = items.map((i) => h('tr', { 'data-id': i.id },
      h('td', {}, i.id), h('td', {}, i.time), h('td', {}, i.server ?? ''), h('td', {}, i.tool ?? ''), h('td', {}, [...new Set(i.findings.map((f) => f.rule))].join(', ')),
      h('td', {}, i.released ? `released by ${i.released.by}` : ''),
      h('td', {}, h('button', { type: 'button', class: 'action', onclick: () => this.showItem(i.id) }, 'Show'), i.released ? '' : action('Release', () => api(`/admin/quarantine/${enc(i.id)}/release`, {}), this))));
    this.detail ??= h('div', {});
    return [h('h2', {}, 'Quarantined results'), table(['id', 'time', 'server', 'tool', 'rules', 'released', ''], rows, 'Nothing is quarantined.'), this.detail];
  }
  async showItem(id) {
    const item = await api(`/admin/quarantine/${enc(id)}`);
    this.detail.replaceChildren(h('h2', {}, `${id} — original result (never shown to the agent)`), h('pre', { id: 'quarantine-original' }, item.original));
  }
});

customElements.define('pc-sessions', class extends View {
  async render() {
    const { sessions } = await api('/admin/sessions');
    const rows = sessions.map((s) => h('tr', {},
      h('td', {}, s.id.slice(0, 10) + '…'), h('td', {}, s.principal), h('td', {}, s.authMethod), h('td', {}, s.connection), h('td', {}, s.client ? `${s.client.name ?? ''} ${s.client.version ?? ''}` : ''),
      h('td', {}, s.protocolVersion ?? ''), h('td', {}, s.lastSeen), h('td', {}, s.inflight),
      h('td', {}, action('Revoke', () => api('/admin/revoke', { session: s.id, reason: 'revoked from the console' }), this, true))));
    return [h('h2', {}, 'Client sessions'), table(['session', 'principal', 'auth', 'connection', 'client', 'revision', 'last seen', 'in flight', ''], rows, 'No client is connected.')];
  }
});

customElements.define('pc-servers', class extends View {
  async render() {
    const { servers } = await api('/admin/servers');
    const rows = servers.map((s) => h('tr', { 'data-server': s.name },
      h('td', {}, s.name), h('td', { class: s.state === 'ready' ? 'allow' : 'deny' }, s.state), h('td', {}, s.disabled ? `${s.disabled.by ?? ''} ${s.disabled.reason ?? ''}` : ''),
      h('td', {}, s.disabled
        ? action('Enable', () => api(`/admin/servers/${enc(s.name)}/enable`, {}), this)
        : action('Disable', () => api(`/admin/servers/${enc(s.name)}/disable`, { reason: 'disabled from the console' }), this, true))));
    return [h('h2', {}, 'Servers'), table(['server', 'state', 'disabled by', ''], rows, 'No servers.')];
  }
});

customElements.define('pc-lockdown', class extends View {
  static every = 3000;
  async render() {
    if (this.contains(document.activeElement) && document.activeElement.tagName !== 'BUTTON') return [...this.childNodes];
    const { lockdown } = await api('/admin/state');
    const allow = h('textarea', { id: 'lockdown-allow', rows: 3, cols: 40, placeholder: 'one pattern a line, e.g. files__read_*' }, lockdown.allow.join('\n'));
    const reason = h('input', { id: 'lockdown-reason', size: 40, placeholder: 'why (audited)' });
    const patterns = () => allow.value.split('\n').map((x) => x.trim()).filter(Boolean);
    return [
      h('h2', {}, 'Emergency lockdown: ', h('span', { id: 'lockdown-state', class: lockdown.enabled ? 'state-on' : 'state-off' }, lockdown.enabled ? 'ON' : 'OFF')),
      lockdown.enabled ? h('p', {}, `since ${lockdown.since ?? '?'} by ${lockdown.by ?? '?'}${lockdown.reason ? `: ${lockdown.reason}` : ''}`) : h('p', {}, 'Tool calls run as the policy says.'),
      h('form', { class: 'inline', onsubmit: (e) => e.preventDefault() },
        h('label', {}, 'Allowlist (still callable)', allow), h('label', {}, 'Reason', reason),
        action(lockdown.enabled ? 'Update lockdown' : 'Lockdown on', () => api('/admin/lockdown', { enabled: true, allow: patterns(), reason: reason.value || undefined }), this, true),
        lockdown.enabled ? action('Lockdown off', () => api('/admin/lockdown', { enabled: false, reason: reason.value || undefined }), this) : ''),
    ];
  }
});

customElements.define('pc-report', class extends View {
  static every = 0;
  async render() {
    this.frame ??= h('iframe', { class: 'report', title: 'Security report', src: '/admin/report.html?since=24h' });
    const span = h('select', { id: 'report-since', onchange: () => (this.frame.src = `/admin/report.html?since=${enc(span.value)}`) }, ['1h', '24h', '7d', '30d'].map((v) => h('option', { value: v, selected: v === '24h' }, v)));
    return [h('form', { class: 'inline', onsubmit: (e) => e.preventDefault() }, h('h2', {}, 'Security report'), h('label', {}, 'since', span)), this.frame];
  }
});
