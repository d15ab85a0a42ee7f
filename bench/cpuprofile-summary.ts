/**
 * Summarizes a V8 .cpuprofile: self time per function (file:line), time per source area
 * (Portcullis src/, node internals, each dependency, GC), and inclusive time of Portcullis
 * functions. Usable on its own: `node bench/cpuprofile-summary.ts <file.cpuprofile> [top] [tree...]`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FnTime {
  fn: string;
  where: string;
  area: string;
  ms: number;
  pct: number;
}

export interface ProfileSummary {
  totalMs: number;
  busyMs: number;
  self: FnTime[];
  areas: { area: string; ms: number; pct: number }[];
  inclusiveSrc: FnTime[];
}

function shortUrl(url: string, roots: string[]): string {
  let u = url.startsWith('file://') ? fileURLToPath(url) : url;
  for (const root of roots) if (u.startsWith(`${root}/`)) return u.slice(root.length + 1);
  return u;
}

function areaOf(where: string, fn: string): string {
  if (!where) return fn.startsWith('(') ? fn : '(native / builtin)';
  if (where.startsWith('src/')) return `portcullis ${where.split(':')[0]}`;
  if (where.startsWith('node:')) return 'node internals';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  if (nm) return `dep ${nm[1]}`;
  return where.split(':')[0];
}

/** `roots`: the tree(s) the gateway ran from; paths under them are shown relative (src/...). */
export function summarize(profile: CpuProfile, roots: string[], top = 30): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const totalUs = profile.timeDeltas.reduce((a, b) => a + b, 0);
  const keyOf = (n: ProfileNode) => {
    const where = n.callFrame.url ? `${shortUrl(n.callFrame.url, roots)}:${n.callFrame.lineNumber + 1}` : '';
    return { fn: n.callFrame.functionName || '(anonymous)', where };
  };
  const selfAgg = new Map<string, { fn: string; where: string; us: number }>();
  const areaAgg = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const { fn, where } = keyOf(n);
    if (fn === '(idle)') idleUs += us;
    const k = `${fn}@${where}`;
    const e = selfAgg.get(k) ?? { fn, where, us: 0 };
    e.us += us;
    selfAgg.set(k, e);
    const area = areaOf(where, fn);
    areaAgg.set(area, (areaAgg.get(area) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const pct = (us: number) => (100 * us) / (busyUs || 1);
  // Inclusive time per Portcullis function: each sample counted once per distinct function on its stack.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map<string, { fn: string; where: string; us: number }>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const { fn, where } = keyOf(byId.get(cur)!);
      if (!where.startsWith('src/')) continue;
      const k = `${fn}@${where}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const e = incl.get(k) ?? { fn, where, us: 0 };
      e.us += us;
      incl.set(k, e);
    }
  }
  const toRows = (m: Map<string, { fn: string; where: string; us: number }>) =>
    [...m.values()]
      .filter((e) => e.fn !== '(idle)')
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({ fn: e.fn, where: e.where, area: areaOf(e.where, e.fn), ms: e.us / 1000, pct: pct(e.us) }));
  return {
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    self: toRows(selfAgg),
    areas: [...areaAgg.entries()]
      .filter(([a]) => a !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, ms: us / 1000, pct: pct(us) })),
    inclusiveSrc: toRows(incl),
  };
}

export function summaryMarkdown(s: ProfileSummary): string {
  const row = (r: FnTime) => `| ${r.pct.toFixed(1)}% | ${r.ms.toFixed(0)} | \`${r.fn}\` | ${r.where || '—'} |`;
  return [
    `Profile: ${s.totalMs.toFixed(0)} ms sampled, ${s.busyMs.toFixed(0)} ms busy (not idle). Percentages are of busy time. ` +
      'V8 samples on a wall-clock timer: a syscall (`writev`) or native call during which the process is preempted (3 busy processes on 2 CPUs) absorbs that wait too.',
    '',
    '### Self time by area',
    '',
    '| % busy | ms | area |',
    '| ---: | ---: | --- |',
    ...s.areas.slice(0, 25).map((a) => `| ${a.pct.toFixed(1)}% | ${a.ms.toFixed(0)} | ${a.area} |`),
    '',
    '### Top functions by self time',
    '',
    '| % busy | ms | function | file:line |',
    '| ---: | ---: | --- | --- |',
    ...s.self.map(row),
    '',
    '### Portcullis functions by inclusive time',
    '',
    '| % busy | ms | function | file:line |',
    '| ---: | ---: | --- | --- |',
    ...s.inclusiveSrc.map(row),
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
  process.stdout.write(summaryMarkdown(summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, [root, ...process.argv.slice(4)], Number(process.argv[3] ?? 30))));
}

export type { CpuProfile };
