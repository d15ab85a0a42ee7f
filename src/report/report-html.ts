/**
 * The report as one self-contained HTML file: inline CSS and inline SVG charts, no script and a
 * Content-Security-Policy that forbids loading anything, so it reads the same offline and
 * nothing in it (tool names are attacker-chosen) can run.
 */
import type { ReportData } from './report-data.ts';
import { barChart, columnChart, escapeHtml as e } from './svg-charts.ts';

const SEVERITY_COLOR: Record<string, string> = { critical: '#b91c1c', high: '#ea580c', medium: '#ca8a04', low: '#2563eb', info: '#64748b' };
const BLUE = '#2563eb';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:960px;color:#0f172a;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
.meta{color:#475569;font-size:12px}.kpis{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.kpi{border:1px solid #e2e8f0;border-radius:8px;padding:10px 14px;min-width:120px}.kpi b{display:block;font-size:22px}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:16px}
svg.chart text{font:11px system-ui,sans-serif;fill:#334155}svg.chart line.grid{stroke:#e2e8f0}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #f1f5f9;vertical-align:top}
th{background:#f8fafc}.sev{font-weight:600}.ack{color:#15803d}.unack{color:#b91c1c;font-weight:600}td.num{text-align:right}
@media print{body{margin:0}}`;

function rows<T>(items: T[], cols: [string, (t: T) => string][], empty = 'none'): string {
  if (!items.length) return `<p class="meta">${empty}</p>`;
  return `<table><thead><tr>${cols.map(([h]) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${items.map((it) => `<tr>${cols.map(([, f]) => `<td>${f(it)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

export function renderHtml(r: ReportData): string {
  const unacked = r.alerts.filter((a) => !a.acknowledged).length;
  const critical = r.bySeverity.find((s) => s.key === 'critical')?.count ?? 0;
  const denials = r.byType.filter((t) => ['tool_denied', 'policy_violation'].includes(t.key)).reduce((n, t) => n + t.count, 0);
  const hourly = columnChart({
    id: 'chart-hourly',
    title: 'Events by hour (UTC)',
    color: BLUE,
    points: r.hourly.map((h) => ({ label: r.hourly.length > 48 ? h.hour.slice(5, 13).replace('T', ' ') + 'h' : h.hour.slice(11, 13) + ':00', value: h.count })),
  });
  const severity = barChart({ id: 'chart-severity', title: 'Events by severity', color: BLUE, rows: r.bySeverity.map((s) => ({ label: s.key, value: s.count, color: SEVERITY_COLOR[s.key] })) });
  const types = barChart({ id: 'chart-types', title: 'Events by type', color: '#0d9488', rows: r.byType.slice(0, 15).map((t) => ({ label: t.key, value: t.count })) });
  const tools = barChart({ id: 'chart-tools', title: 'Top tools', color: '#7c3aed', rows: r.topTools.map((t) => ({ label: t.key, value: t.count })) });
  const conns = barChart({ id: 'chart-connections', title: 'Top connections', color: '#0891b2', rows: r.topConnections.map((t) => ({ label: t.key, value: t.count })) });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Portcullis security report ${e(r.since.slice(0, 16))} – ${e(r.until.slice(0, 16))}</title>
<style>${CSS}</style></head><body>
<h1>Portcullis security report</h1>
<div class="meta">${e(r.since)} → ${e(r.until)} · generated ${e(r.generatedAt)} · ${e(r.store)}</div>
<div class="kpis">
<div class="kpi">events<b id="kpi-total">${r.totalEvents}</b></div>
<div class="kpi">critical<b>${critical}</b></div>
<div class="kpi">denials<b>${denials}</b></div>
<div class="kpi">alerts<b>${r.alerts.length}</b></div>
<div class="kpi">not acknowledged<b>${unacked}</b></div>
</div>
<h2>Events by hour (UTC)</h2>${hourly}
<div class="grid2"><div><h2>By severity</h2>${severity}</div><div><h2>By event type</h2>${types}</div></div>
<div class="grid2"><div><h2>Top tools</h2>${tools}</div><div><h2>Top connections</h2>${conns}</div></div>
<h2>Alerts</h2>
${rows(r.alerts, [
  ['#', (a) => String(a.id)],
  ['raised', (a) => e(a.createdAt)],
  ['severity', (a) => `<span class="sev" style="color:${SEVERITY_COLOR[a.severity] ?? '#000'}">${e(a.severity)}</span>`],
  ['type', (a) => e(a.type)],
  ['message', (a) => e(a.message) + (a.suppressed ? ` <span class="meta">(+${a.suppressed} held back)</span>` : '')],
  ['acknowledged', (a) => (a.acknowledged ? `<span class="ack">yes${a.acknowledgedBy ? ` (${e(a.acknowledgedBy)})` : ''}</span>` : '<span class="unack">no</span>')],
])}
<h2>Pin drift</h2>
${rows(r.pinDrift, [
  ['time', (p) => e(p.time)],
  ['event', (p) => e(p.event)],
  ['server / tool', (p) => `${e(p.server ?? '?')} / ${e(p.tool ?? '?')}`],
  ['verdict', (p) => e(p.verdict)],
])}
<h2>Recent denials</h2>
${rows(r.recentDenials, [
  ['time', (d) => e(d.time)],
  ['event', (d) => e(d.event)],
  ['tool', (d) => e(`${d.tool ?? '-'} on ${d.server ?? '-'}`)],
  ['connection', (d) => e(d.connection ?? '-')],
  ['reason', (d) => e(d.reason ?? '')],
])}
<h2>Top principals</h2>
${rows(r.topPrincipals, [['principal', (p) => e(p.key)], ['events', (p) => String(p.count)]])}
</body></html>
`;
}
