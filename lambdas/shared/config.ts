/** Function configuration from environment variables, checked once at cold start (zod). */
import * as z from 'zod/mini';
import '../../core/zod-messages.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** A required, non-empty value. */
export const required = (what: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `required: ${what}` : undefined) })
    .check(z.minLength(1));

/** An optional value: unset and empty are the same. */
export const optional = () => z.optional(z.string());

/** An S3 key prefix: empty, or ending in "/". */
export const keyPrefix = (fallback: string) =>
  z._default(z.string().check(z.refine((v) => v === '' || v.endsWith('/'), 'must end with "/"')), fallback);

/** A whole number of milliseconds above 0. */
export const millis = (fallback: number) =>
  z._default(
    z.pipe(
      z.string().check(z.regex(/^[1-9]\d*$/, 'must be a whole number of milliseconds above 0')),
      z.transform(Number),
    ),
    fallback,
  );

/** One of a few words. */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) =>
  z._default(z.enum(values, { error: `must be one of ${values.join(', ')}` }), fallback);

/**
 * Reads a function's configuration from the environment (never writes it). An empty variable counts as unset.
 * Throws one error naming every bad variable and its value, so a misconfigured function fails at cold start.
 */
export function readEnv<T extends z.ZodMiniType>(schema: T, env: Env, functionName: string): z.output<T> {
  const present: Record<string, string> = {};
  for (const [name, value] of Object.entries(env))
    if (value !== undefined && value !== '') present[name] = value;
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    functionName,
    parsed.error.issues.map((issue) => {
      const name = issue.path.join('.');
      const value = present[name];
      return `${name}: ${issue.message}${value === undefined ? '' : ` (got ${JSON.stringify(value)})`}`;
    }),
  );
}

export class ConfigError extends Error {
  constructor(
    functionName: string,
    readonly problems: readonly string[],
  ) {
    super(`the ${functionName} function is misconfigured:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}
