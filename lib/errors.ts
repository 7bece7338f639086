import { Duration, Size, Token } from 'aws-cdk-lib';
import { Construct, type IConstruct } from 'constructs';

/**
 * Construct props that do not validate, or a spec or model the stack cannot use: one line per problem, each
 * starting with the path of the construct it concerns (`streamfeatures-dev/FeatureComputer: batchSize must be
 * 1 to 10000 (got 0)`), every problem at once.
 */
export class InvalidPropsError extends Error {
  /** The problems, each `<construct path>: <what is wrong, with the bad value>`. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'InvalidPropsError';
    this.problems = problems;
  }
}

/** Prefixes each problem with the construct's path (or a path as text). */
export function atPath(scope: IConstruct | string, problems: readonly string[]): string[] {
  const path = typeof scope === 'string' ? scope : scope.node.path;
  return problems.map((problem) => `${path}: ${problem}`);
}

/** Throws one InvalidPropsError listing every problem at the construct's path; nothing when there is none. */
export function throwIfProblems(scope: IConstruct | string, problems: readonly string[]): void {
  if (problems.length > 0) throw new InvalidPropsError(atPath(scope, problems));
}

/** A value as a message quotes it: strings and objects as JSON, durations and sizes as CDK spells them. */
export function quote(value: unknown): string {
  if (value instanceof Duration || value instanceof Size) return JSON.stringify(value.toHumanString());
  if (Construct.isConstruct(value)) return JSON.stringify(value.node.path);
  if (typeof value === 'string') return Token.isUnresolved(value) ? '(a token)' : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return String(value);
  }
}

/** Collects problems: `check` adds the message with the bad value quoted when the condition fails. */
export class Problems {
  readonly list: string[] = [];

  check(ok: boolean, message: string, got: unknown): void {
    if (!ok) this.list.push(`${message} (got ${quote(got)})`);
  }

  add(...problems: string[]): void {
    this.list.push(...problems);
  }
}

/**
 * With an existing resource, the props that would configure a new one are ignored: each such prop set is a
 * problem (all of them at once), so nothing the caller wrote is silently dropped.
 */
export function ignoredWith<P extends object>(
  existing: string,
  props: P,
  keys: readonly (keyof P)[],
): string[] {
  return keys
    .filter((key) => props[key] !== undefined)
    .map(
      (key) =>
        `${String(key)} configures a new resource and is ignored with ${existing} (got ${quote(props[key])}); ` +
        `remove one of them`,
    );
}

/** A prop that only means something beside another one. */
export function onlyWith<P extends object>(props: P, key: keyof P, needed: keyof P): string[] {
  return props[key] !== undefined && props[needed] === undefined
    ? [`${String(key)} applies only with ${String(needed)} (got ${quote(props[key])} without it)`]
    : [];
}
