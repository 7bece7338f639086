/** Plain-text tables for the benchmark report: first column left-aligned, the others right-aligned. */

export type Cell = string | number;

export function renderTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = [headers, ...rows].map((row) => row.map((cell) => String(cell)));
  const widths = headers.map((_, c) => Math.max(...text.map((row) => (row[c] ?? '').length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(text[0] as string[]), rule, ...text.slice(1).map(line)].map((l) => `  ${l}`).join('\n');
}

/** An integer with thousands separators. */
export const int = (n: number): string =>
  Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n);

/** A number with `digits` decimals. */
export const num = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : String(n));

export const pct = (share: number): string => `${(share * 100).toFixed(0)}%`;

export const verdict = (met: boolean | null): string => (met === null ? 'n/a' : met ? 'met' : 'MISSED');
