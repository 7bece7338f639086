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

/** `['features', 3, 'window']` → `features[3].window` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(spec)';
}
