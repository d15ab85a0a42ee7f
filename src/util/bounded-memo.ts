/**
 * A memo for a pure function of a string that is asked on every call (a tool or property name:
 * the same few recur). Bounded: emptied when it holds `max` entries, so hostile names cannot grow it.
 */
export function boundedMemo<T>(fn: (key: string) => T, max = 4096): (key: string) => T {
  const memo = new Map<string, T>();
  return (key) => {
    let v = memo.get(key);
    if (v === undefined && !memo.has(key)) {
      if (memo.size >= max) memo.clear();
      v = fn(key);
      memo.set(key, v);
    }
    return v as T;
  };
}
