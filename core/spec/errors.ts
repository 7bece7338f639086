/** A spec that does not validate: every problem, each with the path and the bad value. */
export class SpecError extends Error {
  readonly issues: readonly string[];

  constructor(issues: readonly string[], source?: string) {
    const where = source ? ` in ${source}` : '';
    super(`invalid feature spec${where}:\n  ${issues.join('\n  ')}`);
    this.name = 'SpecError';
    this.issues = issues;
  }
}

/** `['features', 3, 'window']` → `features[3].window`; an empty path is `whole`. */
export function formatPath(path: readonly PropertyKey[], whole = '(spec)'): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || whole;
}

/** The value at a path of a parsed JSON input, or undefined. */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** What the spec, config and request validators need of a zod issue. */
export interface ValidationIssue {
  readonly code?: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly keys?: readonly string[];
}

/**
 * One line per problem, `path: message (got value)`, quoting the bad value as the input had it; an unknown key
 * gets a line of its own. `show` renders a value (default JSON).
 */
export function describeIssues(
  issues: readonly ValidationIssue[],
  input: unknown,
  whole: string,
  show: (value: unknown) => string = (value) => JSON.stringify(value),
): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      return issue.keys.map((key) => {
        const path = [...issue.path, key];
        return `${formatPath(path, whole)}: unknown key (got ${show(valueAt(input, path))})`;
      });
    }
    const value = valueAt(input, issue.path);
    const got = value === undefined ? '' : ` (got ${show(value)})`;
    return [`${formatPath(issue.path, whole)}: ${issue.message}${got}`];
  });
}
