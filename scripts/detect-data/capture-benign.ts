/**
 * The benign side of the detection model's data: REAL tool traffic captured on this machine.
 *   node scripts/detect-data/capture-benign.ts      → .cache/detect/benign.jsonl (not committed)
 *
 * Files are read through the real filesystem server (@modelcontextprotocol/server-filesystem,
 * read_text_file over stdio with the SDK client): installed packages' READMEs, docs and source,
 * /usr/share/doc, man pages rendered by man(1), git logs and diffs of this repository, this
 * repository's docs (security writing ABOUT injection), the public corpora's READMEs. SQL rows come
 * from the local PostgreSQL (pg_settings, function comments) as JSON, the way a database tool
 * answers. Tool-description-like text: package.json descriptions and apropos(1) one-liners.
 *
 * Each line: {text, kind, group, source}. `group` is the unit of the train/validation/test split
 * (a package, a man page, a commit, a doc file): near-duplicates share a group, so they never
 * straddle splits. Texts are deduplicated. The output is derived from what is installed here and
 * is regenerated rather than committed (licences vary); datasets.ts records its hash.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import { chunks, connect, ROOT, textsOf } from '../mcp-capture.ts';
import { captureExtra } from './capture-extra.ts';
import { captureRepos } from './capture-repos.ts';

export const CACHE = join(ROOT, '.cache', 'detect');
const MODULES = join(ROOT, 'node_modules');
const scratch = mkdtempSync(join(tmpdir(), 'capture-benign-'));
const CHUNK = 1500;

type Kind = 'description' | 'result' | 'argument' | 'sampling';
interface Row { text: string; kind: Kind; group: string; source: string; extra?: true; ext?: true }
const rows: Row[] = [];
const seen = new Set<string>();
/** `ext`: other projects' text (capture-repos.ts), deduplicated per kind (a commit message is both an argument and a sampling text). */
function add(kind: Kind, group: string, source: string, text: string, extra = false, ext = false): void {
  const key = text.trim().toLowerCase().replace(/\s+/g, ' ');
  if (key.length < 20 || seen.has(ext ? `${kind}:${key}` : key)) return;
  seen.add(ext ? `${kind}:${key}` : key);
  rows.push({ text, kind, group, source, ...(extra ? { extra: true as const } : {}), ...(ext ? { ext: true as const } : {}) });
}

const run = (cmd: string, args: string[], cwd?: string) =>
  spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, MANWIDTH: '90', LC_ALL: 'C.UTF-8' } }).stdout ?? '';

function walk(dir: string, keep: (p: string) => boolean, max: number, out: string[] = [], depth = 0): string[] {
  if (out.length >= max || depth > 6) return out;
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const n of names) {
    if (out.length >= max) break;
    const p = join(dir, n);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) walk(p, keep, max, out, depth + 1);
    else if (st.size > 0 && st.size < 400_000 && keep(p)) out.push(p);
  }
  return out;
}

const renderMan = (page: string) => run('man', ['-P', 'cat', page]);
const plain = (man: string) => man.replace(/.\u0008/g, '');

/** Plain copies of gzip'd docs and rendered man pages, so the filesystem server can read them. */
function stage(): string[] {
  const staged: string[] = [];
  if (ONLY_GIT) return stageGit(staged);
  const docs = join(scratch, 'usr-share-doc');
  mkdirSync(docs);
  for (const pkg of readdirSync('/usr/share/doc').sort()) {
    const files = walk(join('/usr/share/doc', pkg), (p) => /readme|news|changelog|\.txt$|\.md$|\.html?$/i.test(basename(p)) && !/copyright/i.test(p), 3);
    files.forEach((f, i) => {
      let text: string;
      try {
        text = f.endsWith('.gz') ? gunzipSync(readFileSync(f)).toString('utf8') : readFileSync(f, 'utf8');
      } catch {
        return;
      }
      if (text.includes('\u0000')) return;
      const out = join(docs, `${pkg}__${i}__${basename(f).replace(/\.gz$/, '')}`);
      writeFileSync(out, text.slice(0, 12_000));
      staged.push(out);
    });
  }
  const man = join(scratch, 'man');
  mkdirSync(man);
  const pages = readdirSync('/usr/share/man/man1').sort().filter((_, i) => i % 90 === 0);
  for (const sec of ['5', '7', '8']) if (existsSync(`/usr/share/man/man${sec}`)) pages.push(...readdirSync(`/usr/share/man/man${sec}`).sort().filter((_, i) => i % 20 === 0));
  for (const p of pages) {
    const name = p.replace(/\.gz$/, '');
    const text = renderMan(join(p.includes('.1') ? '/usr/share/man/man1' : `/usr/share/man/man${name.split('.').pop()![0]}`, p));
    if (text.length < 200) continue;
    const out = join(man, name);
    writeFileSync(out, plain(text).slice(0, 15_000));
    staged.push(out);
  }
  return stageGit(staged);
}

/** This repository's commits, as `git show` prints them. */
function stageGit(staged: string[]): string[] {
  const git = join(scratch, 'git');
  mkdirSync(git);
  const shas = run('git', ['log', '--format=%H', '-n', '400'], ROOT).split('\n').filter(Boolean);
  for (const sha of shas) {
    const out = join(git, `${sha}.log`);
    writeFileSync(out, run('git', ['show', '--stat', '-p', '--format=commit %H%nAuthor: %an%nDate: %ad%n%n%B', sha], ROOT).slice(0, 8000));
    staged.push(out);
  }
  return staged;
}

/** `--only-git`: add the git commits to an existing capture (the rest is slow to redo). */
const ONLY_GIT = process.argv.includes('--only-git');
/** `--only-repos`: redo only the other projects' text (capture-repos.ts) of an existing capture. */
const ONLY_REPOS = process.argv.includes('--only-repos');

async function files(): Promise<void> {
  const fs = await connect('@modelcontextprotocol/server-filesystem', [MODULES, scratch, join(ROOT, 'docs'), join(ROOT, '..', 'shared', 'corpora')]);
  const via = `server-filesystem@${fs.version} read_text_file`;
  const read = async (path: string) => textsOf(await fs.client.callTool({ name: 'read_text_file', arguments: { path } })).join('\n');
  const take = async (path: string, group: string, kind: Kind = 'result', max = 12_000) => {
    let text: string;
    try {
      text = (await read(path)).slice(0, max);
    } catch {
      return;
    }
    for (const c of chunks(text, CHUNK)) add(kind, group, `${via} ${path.replace(ROOT, '.').replace(scratch, '<staged>')}`, c);
  };
  // Installed packages: docs, a few source files, package.json as an API-style JSON answer.
  for (const top of ONLY_GIT ? [] : readdirSync(MODULES).sort()) {
    const pkgs = top.startsWith('@') ? readdirSync(join(MODULES, top)).map((s) => `${top}/${s}`) : [top];
    for (const pkg of pkgs) {
      const dir = join(MODULES, pkg);
      const group = `npm:${pkg}`;
      for (const f of walk(dir, (p) => /\.(md|markdown|txt)$/i.test(p) && !/license|licence/i.test(basename(p)), 6)) await take(f, group);
      for (const f of walk(dir, (p) => /\.(js|ts|mjs|cjs|d\.ts)$/.test(p) && !p.includes('.min.'), 3)) await take(f, group, 'result', 6000);
      if (existsSync(join(dir, 'package.json'))) {
        await take(join(dir, 'package.json'), group, 'result', 4000);
        try {
          const d = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { description?: string }).description;
          if (typeof d === 'string') add('description', group, 'package.json description', d);
        } catch {}
      }
    }
  }
  for (const f of ONLY_GIT ? [] : walk(join(ROOT, 'docs'), (p) => p.endsWith('.md'), 200)) await take(f, `repo-docs:${basename(f)}`, 'result', 60_000);
  for (const f of ONLY_GIT ? [] : walk(join(ROOT, '..', 'shared', 'corpora'), (p) => /readme/i.test(p), 10)) await take(f, `corpora-readme:${f}`);
  for (const f of stage()) {
    const name = basename(f);
    const group = f.includes('/git/') ? `git:${name}` : f.includes('/man/') ? `man:${name}` : `doc:${name.split('__')[0]}`;
    // A commit message alone is what an agent passes as an argument (commit, PR, issue tools).
    if (group.startsWith('git:')) {
      const text = await read(f);
      const msg = text.split('\n---')[0].split(/\n diff|\n [^\n]+\|/)[0];
      add('argument', group, `git commit message ${name}`, msg.slice(0, 2000));
    }
    await take(f, group, 'result', 15_000);
  }
  await fs.client.close();
}

function descriptions(): void {
  for (const line of run('apropos', ['-l', '.']).split('\n')) {
    const m = /^(\S+) \((\w+)\)\s+- (.+)$/.exec(line);
    if (m) add('description', `man:${m[1]}.${m[2]}`, 'apropos(1)', m[3]);
  }
}

async function sql(): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', connectionTimeoutMillis: 5000 });
  await client.connect();
  const queries: Array<[string, string]> = [
    ['pg_settings', 'select name, setting, unit, category, short_desc, extra_desc, context from pg_settings order by name'],
    ['pg_proc', "select p.proname, pg_get_function_arguments(p.oid) as args, obj_description(p.oid, 'pg_proc') as description from pg_proc p where obj_description(p.oid, 'pg_proc') is not null order by 1 limit 3000"],
    ['pg_type', "select typname, typcategory, obj_description(oid, 'pg_type') as description from pg_type order by 1"],
    ['information_schema.columns', 'select table_schema, table_name, column_name, data_type, is_nullable from information_schema.columns order by 1,2,3'],
  ];
  for (const [table, q] of queries) {
    const { rows: r } = await client.query(q);
    for (let i = 0; i < r.length; i += 8) add('result', `sql:${table}:${Math.floor(i / 80)}`, `PostgreSQL ${table} rows as JSON`, JSON.stringify(r.slice(i, i + 8), null, 1));
    if (table === 'pg_settings') for (const row of r) if (row.short_desc) add('description', `sql:pg_settings:${Math.floor(r.indexOf(row) / 80)}`, 'pg_settings short_desc', `${row.short_desc}${row.extra_desc ? ' ' + row.extra_desc : ''}`);
  }
  await client.end();
}

/** Other projects' commits and docs (capture-repos.ts), last: the rows above are unchanged. */
async function repos(): Promise<void> {
  const fs = await connect('@modelcontextprotocol/server-filesystem', [scratch]);
  // The text content only: a commit message is one argument, not followed by its structuredContent copy.
  const read = async (path: string) => textsOf(await fs.client.callTool({ name: 'read_text_file', arguments: { path } }))[0] ?? '';
  const used = await captureRepos(scratch, read, (kind, group, source, text) => add(kind, group, `server-filesystem@${fs.version} read_text_file ${source}`, text, false, true));
  await fs.client.close();
  writeFileSync(join(CACHE, 'repos.json'), JSON.stringify(used, null, 1) + '\n');
}

mkdirSync(CACHE, { recursive: true });
if (ONLY_REPOS) {
  for (const line of readFileSync(join(CACHE, 'benign.jsonl'), 'utf8').split('\n')) if (line) { const r = JSON.parse(line) as Row; if (!r.ext) add(r.kind, r.group, r.source, r.text, r.extra); }
  await repos();
} else {
  if (ONLY_GIT) for (const line of readFileSync(join(CACHE, 'benign.jsonl'), 'utf8').split('\n')) if (line) { const r = JSON.parse(line) as Row; if (!r.group.startsWith('git:')) add(r.kind, r.group, r.source, r.text, r.extra, r.ext); }
  await files();
  if (!ONLY_GIT) {
    descriptions();
    await sql();
    // Last, so the rows above are unchanged: train and validation only (dataset.ts drops the test-split groups).
    const fs = await connect('@modelcontextprotocol/server-filesystem', [MODULES, scratch]);
    const read = async (path: string) => textsOf(await fs.client.callTool({ name: 'read_text_file', arguments: { path } })).join('\n');
    await captureExtra(scratch, MODULES, read, (kind, group, source, text) => add(kind, group, `server-filesystem@${fs.version} read_text_file ${source}`, text, true), (page) => plain(renderMan(page)));
    await fs.client.close();
    await repos();
  }
}
writeFileSync(join(CACHE, 'benign.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
const by: Record<string, number> = {};
for (const r of rows) {
  const k = `${r.kind}${r.extra ? ' (extra)' : r.ext ? ' (other projects)' : ''}`;
  by[k] = (by[k] ?? 0) + 1;
}
process.stderr.write(`benign ${rows.length} ${JSON.stringify(by)}\n`);
