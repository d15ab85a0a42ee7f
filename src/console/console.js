// The Portcullis operator console: the shell (views, sign-out) and the live events view.
// Plain ES modules and custom elements; served by the admin listener, no build step.
import { api, h, init, status, View } from './dom.js';
import './views.js';

const FILTERS = ['event', 'server', 'tool', 'principal', 'decision'];
const MAX_ROWS = 500;

class EventsView extends View {
  static every = 0;
  connectedCallback() {
    const field = (name) => (name === 'decision'
      ? h('label', {}, name, h('select', { name }, ['', 'allow', 'deny', 'error'].map((v) => h('option', { value: v }, v || 'any'))))
      : h('label', {}, name, h('input', { name, size: 14, placeholder: 'any' })));
    this.form = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); this.connect(); } }, FILTERS.map(field), h('button', { type: 'submit', class: 'action' }, 'Apply filters'));
    this.body = h('tbody', { id: 'events-body' });
    this.state = h('span', { id: 'events-state' }, 'connecting');
    this.replaceChildren(
      h('h2', {}, 'Live events ', this.state),
      this.form,
      h('table', {}, h('thead', {}, h('tr', {}, ['time', 'event', 'decision', 'server', 'tool', 'principal', 'code', 'reason'].map((x) => h('th', { scope: 'col' }, x)))), this.body),
    );
    this.connect();
  }
  show(on) {
    this.hidden = !on;
  }
  connect() {
    this.source?.close();
    this.body.replaceChildren();
    const q = new URLSearchParams();
    for (const name of FILTERS) {
      const v = this.form.elements[name].value.trim();
      if (v) q.set(name, v);
    }
    this.source = new EventSource(`/admin/events?${q}`);
    this.source.onopen = () => (this.state.textContent = '(live)');
    this.source.onerror = () => (this.state.textContent = '(reconnecting)');
    this.source.addEventListener('audit', (e) => this.add(JSON.parse(e.data)));
  }
  add(r) {
    const row = h('tr', { class: r.decision || '', 'data-event': r.event, 'data-tool': r.tool || '' },
      h('td', {}, r.time.slice(11, 23)), h('td', {}, r.event), h('td', { class: 'decision' }, r.decision || ''),
      h('td', {}, r.server || ''), h('td', {}, r.tool || ''), h('td', {}, r.principal || ''), h('td', {}, r.code || ''), h('td', { class: 'reason' }, r.reason || ''));
    this.body.prepend(row);
    while (this.body.rows.length > MAX_ROWS) this.body.lastElementChild.remove();
    if (r.event.startsWith('approval_') || r.event.startsWith('lockdown_')) badges();
  }
}
customElements.define('pc-events', EventsView);

async function badges() {
  try {
    const [a, s] = await Promise.all([api('/admin/approvals'), api('/admin/state')]);
    document.getElementById('approvals-count').textContent = a.approvals.length ? String(a.approvals.length) : '';
    document.getElementById('lockdown-badge').textContent = s.lockdown.enabled ? 'ON' : '';
  } catch (err) {
    status(err.message, true);
  }
}

function select(name) {
  for (const b of document.querySelectorAll('#nav button')) {
    if (b.dataset.view === name) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  for (const v of document.querySelectorAll('.view')) v.show(v.id === `view-${name}`);
  status('');
  history.replaceState(null, '', `#${name}`);
}

async function start() {
  await init();
  for (const b of document.querySelectorAll('#nav button')) b.addEventListener('click', () => select(b.dataset.view));
  document.getElementById('logout').addEventListener('click', async () => {
    await api('/console/logout', {}).catch(() => {});
    location.assign('/');
  });
  const first = location.hash.slice(1);
  select(document.getElementById(`view-${first}`) ? first : 'events');
  badges();
  setInterval(badges, 5000);
}

start().catch((err) => status(err.message, true));
