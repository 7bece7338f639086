/**
 * EventBridge event patterns (pure): `parseEventPattern` checks a rule's EventPattern and refuses, by name, what
 * AWS refuses or the local cloud does not match; `matchesPattern` tells whether an event matches it, by AWS's
 * rules:
 *
 * - each key of the pattern must match the event's field of that name (objects nest); a leaf is a list of
 *   matchers, and the field matches when its value (or, for a list in the event, any of its elements) matches any
 *   of them;
 * - matchers: a string, number (compared as numbers), boolean or null (exact); `{"prefix": "..."}`,
 *   `{"suffix": "..."}`, `{"equals-ignore-case": "..."}`, `{"wildcard": "a*b"}`; `{"anything-but": value, [values]
 *   or {"prefix"|"suffix": "..."}}` (the field must be there); `{"numeric": [">", 0, "<=", 5]}`;
 *   `{"exists": true|false}` (false also matches a field that is not there; nothing else does);
 * - `"$or": [pattern, ...]` at any level: any of them.
 *
 * Not matched locally (refused by name): `cidr`, and `prefix`/`suffix` with `equals-ignore-case` inside.
 */

export type EventPattern = { readonly [key: string]: unknown };

const MATCHERS = [
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
  'anything-but',
  'numeric',
  'exists',
] as const;
const NUMERIC_OPERATORS = ['<', '<=', '=', '>', '>='];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks a pattern (a JSON text or object); throws an Error naming what is wrong and where. */
export function parseEventPattern(source: string | object): EventPattern {
  let pattern: unknown;
  if (typeof source === 'string') {
    try {
      pattern = JSON.parse(source);
    } catch (error) {
      throw new Error(`EventPattern is not valid JSON: ${(error as Error).message}`);
    }
  } else pattern = source;
  if (!isObject(pattern) || Object.keys(pattern).length === 0)
    throw new Error(`EventPattern must be a non-empty JSON object (got ${JSON.stringify(pattern)})`);
  checkObject(pattern, '');
  return pattern;
}

function checkObject(pattern: Record<string, unknown>, path: string): void {
  for (const [key, value] of Object.entries(pattern)) {
    const at = path === '' ? key : `${path}.${key}`;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject))
        throw new Error(`EventPattern ${at} must be a list of at least two patterns`);
      for (const [i, alternative] of value.entries()) checkObject(alternative, `${at}[${i}]`);
    } else if (isObject(value)) checkObject(value, at);
    else if (Array.isArray(value)) {
      if (value.length === 0) throw new Error(`EventPattern ${at} is an empty list: it would match nothing`);
      for (const matcher of value) checkMatcher(matcher, at);
    } else
      throw new Error(
        `EventPattern ${at} must be a list of values or matchers, or an object (got ${JSON.stringify(value)})`,
      );
  }
}

function checkMatcher(matcher: unknown, at: string): void {
  if (!isObject(matcher)) {
    if (Array.isArray(matcher)) throw new Error(`EventPattern ${at}: a list inside a list is not a matcher`);
    return;
  }
  const keys = Object.keys(matcher);
  const key = keys[0] as string;
  if (keys.length !== 1)
    throw new Error(`EventPattern ${at}: a matcher has exactly one key (got ${JSON.stringify(matcher)})`);
  if (!(MATCHERS as readonly string[]).includes(key))
    throw new Error(
      `EventPattern ${at}: the matcher ${JSON.stringify(key)} is not supported by the local cloud (it matches ${MATCHERS.join(', ')})`,
    );
  const value = matcher[key];
  const text = (v: unknown, what: string) => {
    if (typeof v !== 'string') {
      if (isObject(v))
        throw new Error(
          `EventPattern ${at}: ${what} with ${JSON.stringify(Object.keys(v)[0])} inside is not supported by the local cloud`,
        );
      throw new Error(`EventPattern ${at}: ${what} takes a string (got ${JSON.stringify(v)})`);
    }
  };
  switch (key) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
    case 'wildcard':
      text(value, key);
      return;
    case 'exists':
      if (typeof value !== 'boolean') throw new Error(`EventPattern ${at}: exists takes true or false`);
      return;
    case 'numeric': {
      const list = value as unknown[];
      if (!Array.isArray(list) || list.length === 0 || list.length % 2 !== 0 || list.length > 4)
        throw new Error(
          `EventPattern ${at}: numeric takes one or two operator-number pairs (got ${JSON.stringify(value)})`,
        );
      for (let i = 0; i < list.length; i += 2) {
        if (!NUMERIC_OPERATORS.includes(String(list[i])) || typeof list[i + 1] !== 'number')
          throw new Error(
            `EventPattern ${at}: numeric ${JSON.stringify(list[i])} ${JSON.stringify(list[i + 1])} is not an operator (${NUMERIC_OPERATORS.join(' ')}) and a number`,
          );
      }
      return;
    }
    case 'anything-but':
      if (isObject(value)) {
        const [inner] = Object.keys(value);
        if (Object.keys(value).length !== 1 || (inner !== 'prefix' && inner !== 'suffix'))
          throw new Error(
            `EventPattern ${at}: anything-but with ${JSON.stringify(inner)} inside is not supported by the local cloud (prefix, suffix are)`,
          );
        text(value[inner], `anything-but ${inner}`);
      } else if (Array.isArray(value) && value.some((v) => isObject(v) || Array.isArray(v)))
        throw new Error(`EventPattern ${at}: anything-but takes values, not matchers, in its list`);
      return;
  }
}

/** Whether `event` (a JSON object) matches a checked pattern. */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  if (!isObject(event)) return false;
  return Object.entries(pattern).every(([key, value]) => {
    if (key === '$or')
      return (value as EventPattern[]).some((alternative) => matchesPattern(alternative, event));
    const present = Object.hasOwn(event, key);
    const field = event[key];
    if (isObject(value)) {
      // A nested pattern: into the event's object (or any object of a list).
      const objects = Array.isArray(field) ? field : [field];
      return objects.some((o) => matchesPattern(value as EventPattern, o));
    }
    return (value as unknown[]).some((matcher) => matchesField(matcher, present, field));
  });
}

function matchesField(matcher: unknown, present: boolean, field: unknown): boolean {
  if (isObject(matcher) && 'exists' in matcher) {
    const exists = present && !isObject(field) && !(Array.isArray(field) && field.length === 0);
    return matcher.exists === exists;
  }
  if (!present) return false;
  const values = Array.isArray(field) ? field : [field];
  if (isObject(matcher) && 'anything-but' in matcher)
    return values.length > 0 && values.every((v) => !matchesValue(anythingButOf(matcher['anything-but']), v));
  return values.some((v) => matchesValue(matcher, v));
}

/** anything-but's values (or prefix/suffix) as a matcher whose match it excludes. */
function anythingButOf(value: unknown): unknown {
  return isObject(value) ? value : { $in: Array.isArray(value) ? value : [value] };
}

function matchesValue(matcher: unknown, value: unknown): boolean {
  if (!isObject(matcher)) {
    if (typeof matcher === 'number') return typeof value === 'number' && value === matcher;
    return value === matcher;
  }
  const [key] = Object.keys(matcher);
  const arg = matcher[key as string];
  switch (key) {
    case '$in':
      return (arg as unknown[]).some((m) => matchesValue(m, value));
    case 'prefix':
      return typeof value === 'string' && value.startsWith(arg as string);
    case 'suffix':
      return typeof value === 'string' && value.endsWith(arg as string);
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === (arg as string).toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && wildcard(arg as string).test(value);
    case 'numeric':
      return typeof value === 'number' && numeric(arg as unknown[], value);
    default:
      return false;
  }
}

function wildcard(pattern: string): RegExp {
  const parts = pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`, 's');
}

function numeric(conditions: readonly unknown[], value: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const bound = conditions[i + 1] as number;
    const ok =
      conditions[i] === '<'
        ? value < bound
        : conditions[i] === '<='
          ? value <= bound
          : conditions[i] === '='
            ? value === bound
            : conditions[i] === '>'
              ? value > bound
              : value >= bound;
    if (!ok) return false;
  }
  return true;
}
