// Small helpers shared by the console's views: the admin API with the session's CSRF token, and
// DOM building that only ever sets text (never HTML), so nothing a server or agent wrote can
// become markup.

let csrf = '';

export async function init() {
  csrf = (await api('/console/session')).csrf;
}

/** GET (no body) or POST (JSON body) to the admin API; throws with the server's error text. */
export async function api(path, body) {
  const opts = body === undefined
    ? { credentials: 'same-origin' }
    : { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', 'x-portcullis-csrf': csrf }, body: JSON.stringify(body) };
  const res = await fetch(path, opts);
  if (res.status === 401) {
    location.assign('/');
    throw new Error('signed out');
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || `HTTP ${res.status}`);
  return data;
}

/** h('td', {class: 'x'}, 'text', childNode, ...): an element with attributes and text or nodes. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function status(text, error = false) {
  const el = document.getElementById('status');
  el.textContent = text;
  el.classList.toggle('error', error);
}

/** A table with a header row and rows, or a line saying there is nothing. */
export function table(headers, rows, emptyText) {
  if (!rows.length) return h('p', { class: 'empty' }, emptyText);
  return h('table', {}, h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))), h('tbody', {}, rows));
}

/** A button that runs an action, reports its outcome and refreshes the view. */
export function action(label, run, view, danger = false) {
  return h('button', {
    type: 'button',
    class: danger ? 'action danger' : 'action',
    onclick: async (e) => {
      e.target.disabled = true;
      try {
        const out = await run();
        status(`${label}: done${out && out.message ? ` — ${out.message}` : ''}`);
      } catch (err) {
        status(`${label}: ${err.message}`, true);
      }
      await view.refresh();
    },
  }, label);
}

export const short = (v) => (typeof v === 'string' ? v : JSON.stringify(v ?? {}));

/**
 * A view: a custom element that renders itself from the admin API while it is shown, again
 * every few seconds (events stream instead: see EventsView).
 */
export class View extends HTMLElement {
  static every = 2000;
  connectedCallback() {
    this.timer = undefined;
  }
  show(on) {
    this.hidden = !on;
    clearInterval(this.timer);
    if (on) {
      this.refresh();
      if (this.constructor.every) this.timer = setInterval(() => this.refresh(), this.constructor.every);
    }
  }
  async refresh() {
    try {
      const content = await this.render();
      this.replaceChildren(...[content].flat(Infinity));
    } catch (err) {
      if (err.message !== 'signed out') status(err.message, true);
    }
  }
}
