/** The scoring request: `{"entities": {"card": {"card_id": "c1"}, ...}, "t"?: epoch ms}`, checked against the spec. */
import * as z from 'zod/mini';
import '../../core/zod-messages.js';
import type { EntityKeyRequest } from '../../adapters/online-store/online-store.js';
import { type CompiledSpec, describeIssues } from '../../core/index.js';
import { HttpError, preview } from '../shared/http.js';

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
 * else). Throws a 400 HttpError whose message names every bad field and its value.
 */
export function parseScoreRequest(spec: CompiledSpec, body: unknown): ScoreRequest {
  const parsed = requestSchema.safeParse(body);
  if (!parsed.success) {
    throw badRequest(describeIssues(parsed.error.issues, body, '(body)', preview));
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
    if (!entity) {
      problems.push(`entities.${name}: unknown entity (the spec has: ${declared})`);
      continue;
    }
    const keyList = entity.keyFields.join(', ');
    for (const field of entity.keyFields) {
      const value = key[field];
      if (value === undefined)
        problems.push(`entities.${name}.${field}: missing (the key of "${name}" is ${keyList})`);
      else if (value === '' || (typeof value === 'number' && !Number.isFinite(value))) {
        problems.push(
          `entities.${name}.${field}: must be a non-empty string or a finite number (got ${preview(value)})`,
        );
      }
    }
    for (const field of Object.keys(key)) {
      if (!entity.keyFields.includes(field)) {
        problems.push(`entities.${name}.${field}: not a key field of "${name}" (its key is ${keyList})`);
      }
    }
    requests.push({ entity: name, key });
  }
  if (problems.length > 0) throw badRequest(problems);
  return { entities: requests, t };
}

function badRequest(problems: readonly string[]): HttpError {
  return new HttpError(400, `invalid request: ${problems.join('; ')}`);
}
