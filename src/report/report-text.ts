/** The report as plain text for a terminal. */
import type { Count, ReportData } from './report-data.ts';

function table(title: string, rows: Count[], width = 40): string[] {
  if (!rows.length) return [`${title}: none`];
  const max = Math.max(...rows.map((r) => r.count));
  return [
    `${title}:`,
    ...rows.map((r) => {
      const bar = '#'.repeat(Math.max(1, Math.round((r.count / max) * 20)));
      const key = r.key.length > width ? `${r.key.slice(0, width - 1)}…` : r.key;
      return `  ${key.padEnd(width)} ${String(r.count).padStart(8)}  ${bar}`;
    }),
  ];
}

export function renderText(r: ReportData): string {
  const out: string[] = [
    `Portcullis security report — ${r.since} to ${r.until}`,
    `generated ${r.generatedAt} from ${r.store}`,
    '',
    `Total events: ${r.totalEvents}`,
    '',
    ...table('By severity', r.bySeverity),
    '',
    ...table('By event type', r.byType),
    '',
    ...table('Top tools', r.topTools),
    '',
    ...table('Top connections', r.topConnections),
    '',
    ...table('Top principals', r.topPrincipals),
    '',
    'Events by hour (UTC):',
  ];
  const max = Math.max(1, ...r.hourly.map((h) => h.count));
  for (const h of r.hourly) {
    if (r.hourly.length > 48 && h.count === 0) continue;
    out.push(`  ${h.hour.slice(0, 13)}:00  ${String(h.count).padStart(8)}  ${'#'.repeat(Math.round((h.count / max) * 30))}`);
  }
  out.push('', `Alerts (${r.alerts.length}):`);
  if (!r.alerts.length) out.push('  none');
  for (const a of r.alerts) {
    out.push(`  #${a.id} ${a.createdAt} [${a.severity}] ${a.type} — ${a.acknowledged ? `acknowledged${a.acknowledgedBy ? ` by ${a.acknowledgedBy}` : ''}` : 'NOT acknowledged'}${a.suppressed ? ` (+${a.suppressed} held back)` : ''}`);
    out.push(`      ${a.message}`);
  }
  out.push('', `Pin drift (${r.pinDrift.length}):`);
  if (!r.pinDrift.length) out.push('  none');
  for (const p of r.pinDrift) out.push(`  ${p.time} ${p.event} ${p.server ?? '?'}/${p.tool ?? '?'}: ${p.verdict}`);
  out.push('', 'Recent denials:');
  if (!r.recentDenials.length) out.push('  none');
  for (const d of r.recentDenials) out.push(`  ${d.time} ${d.event} ${d.tool ?? '-'} on ${d.server ?? '-'} (${d.connection ?? '-'}): ${d.reason ?? ''}`);
  return out.join('\n') + '\n';
}
