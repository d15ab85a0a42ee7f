/**
 * How a policy pattern meets the name of a tool, prompt or resource. One function for the
 * gateway's decision, the lists it filters, flow labels and `policy explain`/`policy test`.
 *
 * With several servers a name has two spellings, its own (`read_file`) and the exposed one
 * (`files__read_file`), and the own name is the server's to choose: server `evil` may offer a
 * tool named `files__read_all_secrets`, exposed as `evil__files__read_all_secrets`. Matching
 * either spelling let `allowedTools: ["files__read_*"]` allow it. So the two directions differ:
 *
 *   - allow (`exact`): a pattern whose part before the first `__` (`+` for resources) is a
 *     configured server's name, or a glob matching one, is that server's pattern: it matches
 *     only that server's names, by what follows the prefix. Any other pattern matches the own
 *     name. Case and Unicode form count: an allow rule grants exactly what it says.
 *   - deny and labels (`folded`): a pattern matches when it matches any spelling (own or
 *     exposed, raw or normalized), after NFKC and case folding on both sides, so `*delete*`
 *     refuses `DeleteRepository` and `ＤＥＬＥＴＥ_ALL`. Matching more here can only refuse
 *     more (or taint more), so every reading counts.
 *
 * Resource URIs are normalized (uri-normalize.ts) on both sides before matching. A URI that
 * cannot be normalized matches no allow pattern and every deny and label pattern.
 */
import { TOOL_SEP, URI_SEP } from '../gateway/namespacing.ts';
import { compileGlob, type GlobMatcher } from './glob.ts';
import { normalizeUri } from './uri-normalize.ts';

export type NameKind = 'tool' | 'prompt' | 'resource';

/** One tool, prompt or resource, and where it lives. */
export interface NameRef {
  kind: NameKind;
  server: string;
  /** The name (tool, prompt) or URI (resource, or resource template) as its server knows it. */
  name: string;
  /** Every configured server; with more than one, names are namespaced. */
  servers: readonly string[];
}

/** NFKC, then case folding (upper then lower, so `ß` = `ss` and `ı` = `i`), NFKC again. */
export function foldName(s: string): string {
  return s.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

/** A name made ready for matching once, whatever the number of patterns. */
export interface NameSubject {
  ref: NameRef;
  /** The own name as allow patterns see it (a resource's normal form); undefined: no allow pattern matches. */
  exact?: string;
  /** Every spelling, folded, as deny and label patterns see them. */
  folded: readonly string[];
  /** A resource URI that cannot be normalized: every deny and label pattern matches it. */
  unreadable: boolean;
}

const sepOf = (kind: NameKind): string => (kind === 'resource' ? URI_SEP : TOOL_SEP);
const namespaced = (ref: NameRef): boolean => ref.servers.length > 1;

export function nameSubject(ref: NameRef): NameSubject {
  const sep = sepOf(ref.kind);
  const spellings = [ref.name];
  let exact: string | undefined = ref.name;
  if (ref.kind === 'resource') {
    exact = normalizeUri(ref.name);
    if (exact !== undefined) spellings.push(exact);
  }
  if (namespaced(ref)) for (const s of [...spellings]) spellings.push(`${ref.server}${sep}${s}`);
  return { ref, exact, folded: [...new Set(spellings.map(foldName))], unreadable: ref.kind === 'resource' && exact === undefined };
}

export interface NamePattern {
  readonly source: string;
  /** Allow semantics: server prefixes respected, exact case, normalized URIs. */
  exact(subject: NameSubject): boolean;
  /** Deny and label semantics: any spelling, folded. */
  folded(subject: NameSubject): boolean;
}

export function compileNamePattern(kind: NameKind, source: string): NamePattern {
  const sep = sepOf(kind);
  // A pattern that does not normalize (a broken `%`) is compared as written.
  const norm = (p: string): string => (kind === 'resource' ? (normalizeUri(p) ?? p) : p);
  const whole = compileGlob(norm(source));
  const i = source.indexOf(sep);
  const split = i > 0 ? { prefix: compileGlob(source.slice(0, i)), rest: compileGlob(norm(source.slice(i + sep.length))), restSource: source.slice(i + sep.length) } : undefined;
  const foldedForms = new Set([source, norm(source)].map(foldName));
  if (split) foldedForms.add(foldName(`${source.slice(0, i)}${sep}${norm(split.restSource)}`));
  const folded: GlobMatcher[] = [...foldedForms].map((p) => compileGlob(p));
  return {
    source,
    exact(subject) {
      const own = subject.exact;
      if (own === undefined) return false;
      const ref = subject.ref;
      if (split && namespaced(ref) && ref.servers.some(split.prefix)) return split.prefix(ref.server) && split.rest(own);
      return whole(own);
    },
    folded(subject) {
      return subject.unreadable || folded.some((m) => subject.folded.some(m));
    },
  };
}
