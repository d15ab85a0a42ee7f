/**
 * Redaction: replace exact spans of a string with `[REDACTED:<label>]`. Overlapping spans (a JWT
 * that is also inside a basic-auth URL) are merged and take the label of the one that starts first.
 * The result is a plain string, so the JSON around it stays valid and the rest stays readable.
 */
export interface Span {
  start: number;
  end: number;
  label: string;
}

export function redactSpans(text: string, spans: readonly Span[]): string {
  if (!spans.length) return text;
  const sorted = [...spans].filter((s) => s.end > s.start).sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let pos = 0;
  let i = 0;
  while (i < sorted.length) {
    const first = sorted[i]!;
    let end = first.end;
    i++;
    while (i < sorted.length && sorted[i]!.start < end) end = Math.max(end, sorted[i++]!.end);
    out += text.slice(pos, first.start) + `[REDACTED:${first.label}]`;
    pos = end;
  }
  return out + text.slice(pos);
}
