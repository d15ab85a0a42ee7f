/**
 * A small JSON state file shared by several processes (gateways, the CLI): read-modify-write
 * under `<file>.lock` (O_EXCL; a lock older than 10 s is stale and broken), replaced atomically
 * (write + rename) so a reader never sees half a file and two writers never lose each other's
 * change, and a cheap identity (inode, size, mtime) to poll for changes made by others.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export class StateFileError extends Error {}

export function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Changes whenever the file is replaced or rewritten; 'absent' when it does not exist. */
export const fileIdentity = (path: string): string => {
  const st = statOrUndefined(path);
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'absent';
};

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `fn` holding `<path>.lock`; throws `StateFileError` when another writer holds it for ~5 s. */
export function withFileLock<T>(path: string, what: string, fn: () => T): T {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const lock = `${path}.lock`;
  for (let i = 0; ; i++) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const st = statOrUndefined(lock);
      if (st && Date.now() - st.mtimeMs > 10_000) rmSync(lock, { force: true });
      else if (i > 200) throw new StateFileError(`${lock}: the ${what} is locked by another writer`);
      else sleep(25);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Replaces the file atomically with `text` (mode 0600). */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}

/** The file's text, or undefined when it does not exist; other read errors throw. */
export function readTextIfExists(path: string, what: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateFileError(`${path}: cannot read the ${what}: ${(err as Error).message}`);
  }
}
