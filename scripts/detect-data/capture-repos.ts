/**
 * Benign text from OTHER projects that discuss prompt injection, tool poisoning and agent
 * security (issue 13: the false alarms above the goal are real writing that QUOTES attacks,
 * and validation held almost none of it). Read from local git mirrors of public repositories
 * (`git --git-dir … log / show`, no work tree), staged and read back through the filesystem
 * server like the rest of the capture, appended by capture-benign.ts with `ext: true`.
 *
 * - commit messages (squash merges carry the PR's title and body) → `argument` (what an agent
 *   passes to a commit, PR or issue tool); every fourth also as `sampling` (dataset.ts wraps it
 *   in a sampling request of its split). Bots' commits (dependency bumps) are skipped.
 * - documentation (Markdown/MDX/RST at HEAD): sections cut at headings, fenced code blocks
 *   removed, → `result`; every fifth section also as `sampling`.
 * - NOT read: files whose purpose is to BE an attack (tests, fixtures, corpora, payloads,
 *   attack or poisoning examples, benchmarks, data sets); see SKIP.
 *
 * Groups: `ext:<repo>:git:<sha>` and `ext:<repo>:doc:<path>`, so a repository's commits and
 * files fall in train, validation AND test (dataset.ts keeps them in every split, but not as
 * carriers of generated attacks, so the attack side of the split is unchanged). Nothing of these
 * texts is committed to this repository; the model's JSON names each repository, its commit and
 * its licence (REPOS).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bucket } from './dataset.ts';

export type RepoKind = 'result' | 'argument' | 'sampling';
export type AddRepo = (kind: RepoKind, group: string, source: string, text: string) => void;
export type ReadFile = (path: string) => Promise<string>;

/** The repositories read (public, on GitHub) and their licences as stated in their LICENSE file. */
export const REPOS: Array<{ repo: string; licence: string }> = [
  { repo: 'modelcontextprotocol/modelcontextprotocol', licence: 'Apache-2.0 / MIT (relicensing transition), docs CC-BY-4.0' },
  { repo: 'modelcontextprotocol/typescript-sdk', licence: 'Apache-2.0 / MIT (relicensing transition), docs CC-BY-4.0' },
  { repo: 'IBM/mcp-context-forge', licence: 'Apache-2.0' },
  { repo: 'stacklok/toolhive', licence: 'Apache-2.0' },
  { repo: 'agentgateway/agentgateway', licence: 'Apache-2.0' },
  { repo: 'invariantlabs-ai/mcp-scan', licence: 'Apache-2.0' },
  { repo: 'trailofbits/mcp-context-protector', licence: 'Apache-2.0' },
  { repo: 'invariantlabs-ai/invariant', licence: 'Apache-2.0' },
  { repo: 'NVIDIA/NeMo-Guardrails', licence: 'Apache-2.0' },
  { repo: 'protectai/llm-guard', licence: 'MIT' },
];

/** Where `fetch` put the mirrors: <dir>/<owner>+<name>/repo (a bare git directory). */
export const MIRRORS = process.env.DETECT_REPO_MIRRORS ?? '/work/.mirror';
export const gitDirOf = (repo: string) => join(MIRRORS, repo.replace('/', '+'), 'repo');

/** Paths whose files are (or hold) attack examples, tests, or data: not benign writing. */
const SKIP = /(^|\/)(tests?|__tests__|spec|fixtures?|testdata|corpus|corpora|payloads?|attacks?|exploits?|poison\w*|malicious|evil|red-?team\w*|jailbreaks?|benchmarks?|datasets?|samples?|examples?|demos?|vendor|node_modules|third_party)(\/|$)|(attack|payload|poison|jailbreak|malicious|exploit)[^/]*$/i;
const DOC = /\.(md|mdx|markdown|rst)$/i;
const BOT = /\[bot\]|dependabot|renovate|github-actions|pre-commit-ci/i;
/** Writing about the subject: all of it is kept; other commits and files are sampled. */
const TOPIC = /inject|prompt|poison|jailbreak|exfiltrat|malicious|attack|secur|sanitiz|guardrail|untrusted|rug.?pull|shadow|threat|vulnerab|cve|xss|ssrf|auth/i;
const MAX_COMMITS = 700;
const MAX_DOCS = 160;
const SECTIONS = 6;
const CHUNK = 1500;

const git = (dir: string, args: string[]) => spawnSync('git', ['--git-dir', dir, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 }).stdout ?? '';

/** Prose of a Markdown/MDX file: fenced code, front matter, HTML comments and import lines removed. */
export function prose(text: string): string {
  return text
    .replace(/^---\n[\s\S]*?\n---\n/, '')
    .replace(/```[\s\S]*?```|~~~[\s\S]*?~~~/g, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/^(import|export) .*$/gm, '');
}

/** Sections cut at headings, then at paragraph breaks under CHUNK characters. */
export function sections(text: string): string[] {
  const out: string[] = [];
  for (const sec of text.split(/\n(?=#{1,4} )/)) {
    let cur = '';
    for (const para of sec.split(/\n{2,}/)) {
      if (cur && cur.length + para.length > CHUNK) {
        out.push(cur.trim());
        cur = '';
      }
      cur += `${para.slice(0, CHUNK)}\n\n`;
    }
    if (cur.trim()) out.push(cur.trim());
  }
  return out.filter((s) => s.length >= 80 && /[a-z]{3,} [a-z]{3,} [a-z]{3,}/i.test(s));
}

export async function captureRepos(scratch: string, read: ReadFile, add: AddRepo): Promise<string[]> {
  const used: string[] = [];
  const staged = join(scratch, 'repos');
  mkdirSync(staged, { recursive: true });
  let n = 0;
  const through = async (text: string) => {
    const f = join(staged, `t${n++}.txt`);
    writeFileSync(f, text);
    return read(f);
  };
  for (const { repo, licence } of REPOS) {
    const dir = gitDirOf(repo);
    if (!existsSync(dir)) {
      process.stderr.write(`capture-repos: ${repo} not mirrored at ${dir}, skipped\n`);
      continue;
    }
    const head = git(dir, ['rev-parse', 'HEAD']).trim();
    used.push(`${repo}@${head.slice(0, 12)} (${licence})`);
    const src = `${repo}@${head.slice(0, 12)}`;
    // Commits: author, hash, message; records separated by \x1e.
    const commits = git(dir, ['log', '--format=%H%x1f%an%x1f%B%x1e', 'HEAD'])
      .split('\x1e')
      .map((r) => r.trim().split('\x1f'))
      .filter((p) => p.length === 3 && !BOT.test(p[1]!) && !/^(bump|chore\(deps\)|build\(deps\))/i.test(p[2]!.trim()) && p[2]!.trim().length >= 40);
    const keep = commits.filter((c) => TOPIC.test(c[2]!));
    const rest = commits.filter((c) => !TOPIC.test(c[2]!)).sort((a, b) => bucket(a[0]!) - bucket(b[0]!) || a[0]!.localeCompare(b[0]!));
    for (const [sha, , msg] of [...keep, ...rest].slice(0, MAX_COMMITS)) {
      const text = (await through(msg!.trim().slice(0, 2000))).trim();
      const group = `ext:${repo}:git:${sha!.slice(0, 12)}`;
      add('argument', group, `${src} commit message`, text);
      if (bucket(`s:${sha}`) < 25) add('sampling', group, `${src} commit message (sampling)`, text);
    }
    const docs = git(dir, ['ls-tree', '-r', '--name-only', 'HEAD']).split('\n').filter((p) => DOC.test(p) && !SKIP.test(p) && !/licen[cs]e|code_of_conduct|contributors/i.test(p));
    const topical = docs.filter((p) => TOPIC.test(p));
    const others = docs.filter((p) => !TOPIC.test(p)).sort((a, b) => bucket(a) - bucket(b) || a.localeCompare(b));
    for (const path of [...topical, ...others].slice(0, MAX_DOCS)) {
      const raw = git(dir, ['show', `HEAD:${path}`]).slice(0, 60_000);
      if (!raw) continue;
      const body = await through(prose(raw));
      const group = `ext:${repo}:doc:${path}`;
      for (const s of sections(body).slice(0, SECTIONS)) {
        add('result', group, `${src} ${path}`, s);
        if (bucket(`s:${s.slice(0, 100)}`) < 20) add('sampling', group, `${src} ${path} (sampling)`, s);
      }
    }
  }
  return used;
}
