/**
 * JSON with object keys sorted at every level, no whitespace: one text per value, whatever order the keys were
 * written in. Numbers print as JSON.stringify prints them (the shortest text that reads back the same double); a
 * number JSON cannot write (NaN, Infinity) is an error rather than a silent `null`. What content hashes are taken
 * of: spec versions (spec-version.ts) and model versions.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new RangeError(`canonical JSON has no form for ${value}`);
  }
  return JSON.stringify(value);
}
