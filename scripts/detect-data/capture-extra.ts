/**
 * More real benign text in the roles where false alarms were above the goal (issue 13):
 * arguments (what an agent writes: a changelog entry, release notes, a commit-style message) and
 * second-person prose (man pages a tool answers with). Captured by capture-benign.ts through the
 * same filesystem server, appended after its other rows with `extra: true`.
 *
 * dataset.ts uses these rows for TRAIN and VALIDATION only: a row whose group falls in the test
 * split is dropped, and none of them carries a generated attack, so the test split (its benign
 * texts and its attacks' carriers) stays byte-for-byte what it was without them.
 *
 * - Debian changelog entries (`/usr/share/doc/<pkg>/changelog.Debian.gz`), the first few
 *   entries of each package: group `doc:<pkg>`, as the package's other docs.
 * - npm packages' CHANGELOG.md, one release section each: group `npm:<pkg>`.
 * - Man pages the main capture skips (every 90th page of section 1 from the 45th): group `man:<page>`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

type Kind = 'result' | 'argument';
export type AddExtra = (kind: Kind, group: string, source: string, text: string) => void;
/** Reads a file through the filesystem server (the capture's reader). */
export type ReadFile = (path: string) => Promise<string>;

const ENTRIES = 5;

/** The first `ENTRIES` entries of a Debian changelog or the first release sections of a CHANGELOG.md. */
export function entriesOf(text: string, debian: boolean): string[] {
  const parts = debian ? text.split(/\n(?=\S[^\n]*\(\S+\)[^\n]*urgency=)/) : text.split(/\n(?=##? )/);
  return parts.map((p) => p.trim().slice(0, 1500)).filter((p) => p.length >= 40).slice(debian ? 0 : 1, ENTRIES + (debian ? 0 : 1));
}

export async function captureExtra(scratch: string, modules: string, read: ReadFile, add: AddExtra, render: (page: string) => string): Promise<void> {
  const staged = join(scratch, 'extra');
  mkdirSync(staged);
  for (const pkg of readdirSync('/usr/share/doc').sort()) {
    const f = join('/usr/share/doc', pkg, 'changelog.Debian.gz');
    if (!existsSync(f)) continue;
    let text: string;
    try {
      text = gunzipSync(readFileSync(f)).toString('utf8').slice(0, 20_000);
    } catch {
      continue;
    }
    const out = join(staged, `debian-changelog__${pkg}`);
    writeFileSync(out, text);
    for (const e of entriesOf(await read(out), true)) add('argument', `doc:${pkg}`, `Debian changelog entry ${pkg}`, e);
  }
  for (const top of readdirSync(modules).sort()) {
    for (const pkg of top.startsWith('@') ? readdirSync(join(modules, top)).map((s) => `${top}/${s}`) : [top]) {
      const f = join(modules, pkg, 'CHANGELOG.md');
      if (!existsSync(f)) continue;
      for (const e of entriesOf((await read(f)).slice(0, 30_000), false)) add('argument', `npm:${pkg}`, `CHANGELOG.md section ${pkg}`, e);
    }
  }
  const pages = readdirSync('/usr/share/man/man1').sort().filter((_, i) => i % 90 === 45);
  for (const p of pages) {
    const text = render(join('/usr/share/man/man1', p));
    if (text.length < 200) continue;
    const name = p.replace(/\.gz$/, '');
    const out = join(staged, `man__${name}`);
    writeFileSync(out, text.slice(0, 15_000));
    const body = await read(out);
    for (const para of body.split(/\n{2,}/).map((s) => s.trim()).filter((s) => s.length >= 80)) add('result', `man:${name}`, `man page ${name} (extra)`, para.slice(0, 1500));
  }
}
