/** The scoring request: `{"entities": {"card": {"card_id": "c1"}, ...}, "t"?: epoch ms}`, checked against the spec. */
import * as z from 'zod/mini';
import '../../core/zod-messages.js';
import type { EntityKeyRequest } from '../../adapters/online-store/online-store.js';
import { type CompiledSpec, itemKey, keyBytesOver, MAX_KEY_BYTES, valueAt } from '../../core/index.js';
import { formatPath, type ValidationIssue } from '../../core/spec/errors.js';
import { HttpError, listProblems, preview, shortName } from '../shared/http.js';

/**
 * The largest body the score function reads (413 above it). A request names each entity once, with keys of at
 * most MAX_KEY_BYTES: a few KB at the very most. Lambda itself refuses events over 6 MB.
 */
export const MAX_SCORE_REQUEST_BYTES = 1024 * 1024;

const keyValue = z.union([z.string(), z.number()], { error: 'must be a string or a number' });

const requestSchema = z.strictObject(
  {
    entities: z.record(
      z.string(),
      z.record(z.string(), keyValue, { error: 'must be an object of key fields, like {"card_id": "c1"}' }),
      { error: 'must be an object naming each entity and its key, like {"card": {"card_id": "c1"}}' },
    ),
    t: z.optional(z.int({ error: 'must be epoch milliseconds (a whole number)' }).check(z.nonnegative())),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'the body must be a JSON object' : undefined) },
);

export interface ScoreRequest {
  readonly entities: EntityKeyRequest[];
  /** Read the features as of this time (epoch ms); none: now. */
  readonly t: number | undefined;
}

/**
 * Checks a parsed body: the shape, then each entity against the spec (known, with its full key and nothing
 * else, that fits the store's key). Throws a 400 HttpError whose message names each bad field and its value (the
 * first MAX_LISTED_PROBLEMS of them, then how many more).
 */
export function parseScoreRequest(spec: CompiledSpec, body: unknown): ScoreRequest {
  const parsed = requestSchema.safeParse(body);
  if (!parsed.success) {
    throw badRequest(issueLines(parsed.error.issues, body));
  }
  const { entities, t } = parsed.data;
  const declared = [...spec.entityByName.keys()].join(', ');
  const problems: string[] = [];
  const names = Object.keys(entities);
  if (names.length === 0) problems.push(`entities: name at least one entity (the spec has: ${declared})`);
  const requests: EntityKeyRequest[] = [];
  for (const name of names) {
    const key = entities[name] as Record<string, string | number>;
    const entity = spec.entityByName.get(name);
    const at = `entities.${shortName(name)}`;
    if (!entity) {
      problems.push(`${at}: unknown entity (the spec has: ${declared})`);
      continue;
    }
    const keyList = entity.keyFields.join(', ');
    const before = problems.length;
    for (const field of entity.keyFields) {
      const value = key[field];
      if (value === undefined) problems.push(`${at}.${field}: missing (the key of "${name}" is ${keyList})`);
      else if (value === '' || (typeof value === 'number' && !Number.isFinite(value))) {
        problems.push(
          `${at}.${field}: must be a non-empty string or a finite number (got ${preview(value)})`,
        );
      }
    }
    for (const field of Object.keys(key)) {
      if (!entity.keyFields.includes(field)) {
        problems.push(`${at}.${shortName(field)}: not a key field of "${name}" (its key is ${keyList})`);
      }
    }
    if (problems.length === before) {
      const values = entity.keyFields.map((field) => key[field] as string | number);
      // The engine quarantines an event whose item key is longer (core/store-limits.ts): no such key has features.
      const bytes = keyBytesOver(itemKey(name, values));
      if (bytes !== undefined) {
        const where = entity.keyFields.length === 1 ? `${at}.${entity.keyFields[0]}` : at;
        problems.push(
          `${where}: key too long: the store's key for it is ${bytes} bytes (UTF-8, "${name}#" and escapes ` +
            `included); the store takes at most ${MAX_KEY_BYTES}`,
        );
      }
    }
    requests.push({ entity: name, key });
  }
  if (problems.length > 0) throw badRequest(problems);
  return { entities: requests, t };
}

function badRequest(problems: readonly string[]): HttpError {
  return new HttpError(400, `invalid request: ${listProblems(problems)}`);
}

/** One line per schema problem, `path: message (got value)`; an unknown key gets a line of its own. */
function issueLines(issues: readonly ValidationIssue[], body: unknown): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const unknownKeys = issue.code === 'unrecognized_keys' && issue.keys;
    const paths = unknownKeys ? unknownKeys.map((key) => [...issue.path, key]) : [issue.path];
    for (const path of paths) {
      const value = valueAt(body, path);
      const shown = formatPath(
        path.map((part) => (typeof part === 'string' ? shortName(part) : part)),
        '(body)',
      );
      const got = unknownKeys || value !== undefined ? ` (got ${preview(value)})` : '';
      lines.push(`${shown}: ${unknownKeys ? 'unknown key' : issue.message}${got}`);
    }
  }
  return lines;
}
