/**
 * CloudWatch Logs filter patterns, the parts FilterLogEvents users lean on:
 * - unstructured: terms separated by spaces must all appear (`ERROR timeout`), a quoted phrase appears as is
 *   (`"Task timed out"`), `-term` must not appear, `?a ?b` matches either; matching is case-sensitive;
 * - JSON: `{ $.level = "ERROR" }`, `{ $.latency > 100 }`, `{ $.user.id != "x" }`, conditions joined by
 *   `&&` or `||` (no parentheses); a string value may end in `*` (prefix); a message that is not JSON matches
 *   no JSON pattern.
 * Not supported (an InvalidParameterException naming the pattern): space-delimited `[a, b, ...]` patterns,
 * regular expressions `%...%`, and parentheses in JSON patterns.
 */

export type Matcher = (message: string) => boolean;

export class FilterPatternError extends Error {}

export function compileFilterPattern(pattern: string | undefined): Matcher {
  const text = (pattern ?? '').trim();
  if (text === '' || text === '""') return () => true;
  if (text.startsWith('{')) return jsonPattern(text);
  if (text.startsWith('[') || text.startsWith('%')) {
    throw new FilterPatternError(
      `Invalid filter pattern ${text}: space-delimited and regular-expression patterns are not supported locally`,
    );
  }
  return termsPattern(text);
}

function termsPattern(text: string): Matcher {
  const tokens = text.match(/-?\?"[^"]*"|-?"[^"]*"|\?\S+|\S+/g) ?? [];
  const all: string[] = [];
  const none: string[] = [];
  const any: string[] = [];
  for (const token of tokens) {
    const unquote = (t: string) => (t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t);
    if (token.startsWith('?')) any.push(unquote(token.slice(1)));
    else if (token.startsWith('-') && token.length > 1) none.push(unquote(token.slice(1)));
    else all.push(unquote(token));
  }
  return (message) =>
    all.every((t) => message.includes(t)) &&
    none.every((t) => !message.includes(t)) &&
    (any.length === 0 || any.some((t) => message.includes(t)));
}

type Condition = (doc: unknown) => boolean;

const CONDITION = /^\$((?:\.[A-Za-z0-9_-]+|\[\d+\])+)\s*(=|!=|>=|<=|>|<)\s*(.+)$/;

function jsonPattern(text: string): Matcher {
  if (!text.endsWith('}'))
    throw new FilterPatternError(`Invalid filter pattern ${text}: a JSON pattern ends with }`);
  const body = text.slice(1, -1).trim();
  if (body.includes('('))
    throw new FilterPatternError(`Invalid filter pattern ${text}: parentheses are not supported locally`);
  const orGroups = body.split('||').map((part) => part.split('&&').map((c) => condition(c.trim(), text)));
  return (message) => {
    let doc: unknown;
    try {
      doc = JSON.parse(message.slice(message.indexOf('{')));
    } catch {
      return false;
    }
    return orGroups.some((group) => group.every((c) => c(doc)));
  };
}

function condition(text: string, pattern: string): Condition {
  const match = CONDITION.exec(text);
  if (match === null)
    throw new FilterPatternError(`Invalid filter pattern ${pattern}: cannot read the condition ${text}`);
  const [, path = '', operator = '=', raw = ''] = match;
  const steps = [...path.matchAll(/\.([A-Za-z0-9_-]+)|\[(\d+)\]/g)].map((m) => m[1] ?? Number(m[2]));
  const value = raw.trim();
  const read = (doc: unknown): unknown => {
    let at = doc;
    for (const step of steps)
      at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[step] : undefined;
    return at;
  };
  if (value.startsWith('"')) {
    const expected = value.replace(/^"|"$/g, '');
    const prefix = expected.endsWith('*') ? expected.slice(0, -1) : undefined;
    const equals = (actual: unknown) =>
      typeof actual === 'string' && (prefix === undefined ? actual === expected : actual.startsWith(prefix));
    if (operator === '=') return (doc) => equals(read(doc));
    if (operator === '!=') return (doc) => read(doc) !== undefined && !equals(read(doc));
    throw new FilterPatternError(`Invalid filter pattern ${pattern}: ${operator} compares numbers only`);
  }
  if (value === 'true' || value === 'false' || value === 'NULL') {
    const expected = value === 'NULL' ? null : value === 'true';
    if (operator === '=') return (doc) => read(doc) === expected;
    if (operator === '!=') return (doc) => read(doc) !== expected;
  }
  const number = Number(value);
  if (!Number.isFinite(number))
    throw new FilterPatternError(`Invalid filter pattern ${pattern}: cannot read the value ${value}`);
  const compare: Record<string, (a: number) => boolean> = {
    '=': (a) => a === number,
    '!=': (a) => a !== number,
    '>': (a) => a > number,
    '<': (a) => a < number,
    '>=': (a) => a >= number,
    '<=': (a) => a <= number,
  };
  const test = compare[operator] as (a: number) => boolean;
  return (doc) => {
    const actual = read(doc);
    return typeof actual === 'number' && test(actual);
  };
}
