/**
 * A hand-written SVG bar chart: throughput (req/s) per configuration, one panel per workload
 * (row) and result size (column), each panel on its own scale so 256 KB is as readable as 1 KB.
 */
import type { ConfigResult, Results } from './results.ts';

const COLORS: Record<string, string> = {
  B0: '#9aa5b1',
  B1: '#52606d',
  G: '#c0392b',
  'G-min': '#e67e22',
  'G (session)': '#a93226',
  'G-min (session)': '#ca6f1e',
  'mcp-proxy': '#2e86c1',
  supergateway: '#17a589',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function barChartSvg(res: Results, sizes: number[]): string {
  const rows: [string, Record<string, ConfigResult>][] = [
    ['HTTP → HTTP mock', res.http],
    ['HTTP → stdio mock (peers)', res.peers],
    ['stdio', res.stdio],
  ].filter(([, set]) => Object.keys(set as object).length > 0) as [string, Record<string, ConfigResult>][];
  const panelW = 330;
  const panelH = 210;
  const left = 20;
  const top = 50;
  const gapY = 60;
  const width = left * 2 + panelW * sizes.length + 20 * (sizes.length - 1);
  const height = top + rows.length * (panelH + gapY) + 10;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="bold">Throughput, requests/s (64 concurrent clients) — ${esc(res.machine.cpuModel)}, ${res.machine.nproc} CPUs, Node ${esc(res.machine.node)}</text>`,
  ];
  rows.forEach(([title, set], ri) => {
    const y0 = top + ri * (panelH + gapY);
    out.push(`<text x="${left}" y="${y0 - 8}" font-size="13" font-weight="bold">${esc(title)}</text>`);
    sizes.forEach((size, ci) => {
      const x0 = left + ci * (panelW + 20);
      const entries = Object.entries(set).map(([name, c]) => [name, c.sizes[size]?.throughput?.rps ?? 0] as const);
      const max = Math.max(1, ...entries.map(([, v]) => v));
      const plotH = panelH - 50;
      const barW = Math.min(40, (panelW - 20) / Math.max(1, entries.length) - 6);
      out.push(`<rect x="${x0}" y="${y0}" width="${panelW}" height="${panelH}" fill="none" stroke="#ddd"/>`);
      out.push(`<text x="${x0 + panelW / 2}" y="${y0 + 14}" text-anchor="middle" font-weight="bold">${size / 1024} KB</text>`);
      entries.forEach(([name, v], i) => {
        const h = (v / max) * plotH;
        const bx = x0 + 10 + i * (barW + 6);
        const by = y0 + 20 + plotH - h;
        out.push(`<rect x="${bx}" y="${by}" width="${barW}" height="${h}" fill="${COLORS[name] ?? '#7f8c8d'}"><title>${esc(name)}: ${v.toFixed(0)} req/s</title></rect>`);
        out.push(`<text x="${bx + barW / 2}" y="${by - 3}" text-anchor="middle" font-size="9">${v >= 1000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0)}</text>`);
        out.push(`<text transform="translate(${bx + barW / 2},${y0 + panelH - 26}) rotate(-30)" text-anchor="end" font-size="9">${esc(name)}</text>`);
      });
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
