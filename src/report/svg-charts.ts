/**
 * Inline SVG charts for the HTML report: no script, no external file, no font download, so the
 * report renders the same offline, in a mail client or a locked-down browser. Every label is
 * escaped: tool names and connection ids come from clients and servers.
 */
export const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Vertical bars over time (one per hour), with a few time labels. */
export function columnChart(opts: { id: string; title: string; points: { label: string; value: number }[]; color: string; width?: number; height?: number }): string {
  const w = opts.width ?? 900;
  const h = opts.height ?? 240;
  const padL = 48;
  const padB = 36;
  const padT = 12;
  const n = Math.max(1, opts.points.length);
  const max = Math.max(1, ...opts.points.map((p) => p.value));
  const plotW = w - padL - 8;
  const plotH = h - padB - padT;
  const step = plotW / n;
  const barW = Math.max(1, step * 0.8);
  const bars = opts.points
    .map((p, i) => {
      const bh = (p.value / max) * plotH;
      const x = padL + i * step + (step - barW) / 2;
      return `<rect class="bar" x="${x.toFixed(1)}" y="${(padT + plotH - bh).toFixed(1)}" width="${barW.toFixed(1)}" height="${bh.toFixed(1)}" fill="${opts.color}"><title>${escapeHtml(p.label)}: ${p.value}</title></rect>`;
    })
    .join('');
  const every = Math.max(1, Math.ceil(n / 8));
  const labels = opts.points
    .map((p, i) => (i % every === 0 ? `<text x="${(padL + i * step + step / 2).toFixed(1)}" y="${h - padB + 16}" text-anchor="middle">${escapeHtml(p.label)}</text>` : ''))
    .join('');
  const ticks = [0, 0.5, 1]
    .map((f) => `<text x="${padL - 6}" y="${(padT + plotH - f * plotH + 4).toFixed(1)}" text-anchor="end">${Math.round(f * max)}</text><line x1="${padL}" x2="${w - 8}" y1="${(padT + plotH - f * plotH).toFixed(1)}" y2="${(padT + plotH - f * plotH).toFixed(1)}" class="grid"/>`)
    .join('');
  return `<svg id="${opts.id}" class="chart" role="img" aria-label="${escapeHtml(opts.title)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg">${ticks}${bars}${labels}</svg>`;
}

/** Horizontal bars for counts by category. */
export function barChart(opts: { id: string; title: string; rows: { label: string; value: number; color?: string }[]; color: string; width?: number }): string {
  const w = opts.width ?? 440;
  const rowH = 22;
  const labelW = 170;
  const h = Math.max(1, opts.rows.length) * rowH + 8;
  const max = Math.max(1, ...opts.rows.map((r) => r.value));
  const plotW = w - labelW - 60;
  const rows = opts.rows
    .map((r, i) => {
      const y = 4 + i * rowH;
      const bw = Math.max(1, (r.value / max) * plotW);
      return (
        `<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${escapeHtml(cut(r.label, 26))}</text>` +
        `<rect class="bar" x="${labelW}" y="${y + 3}" width="${bw.toFixed(1)}" height="${rowH - 6}" fill="${r.color ?? opts.color}"><title>${escapeHtml(r.label)}: ${r.value}</title></rect>` +
        `<text x="${(labelW + bw + 6).toFixed(1)}" y="${y + 15}">${r.value}</text>`
      );
    })
    .join('');
  const empty = opts.rows.length ? '' : `<text x="${labelW}" y="18">none</text>`;
  return `<svg id="${opts.id}" class="chart" role="img" aria-label="${escapeHtml(opts.title)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg">${rows}${empty}</svg>`;
}
