import * as z from 'zod/mini';
import '../zod-messages.js';
import { AGGREGATIONS, EVENT_FIELD_TYPES } from './types.js';

/** The structural shape of the spec JSON form. Cross-field rules live in normalize.ts. */

const identifier = z
  .string()
  .check(
    z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must start with a letter or _ and hold only letters, digits and _'),
  );
const fieldPath = z.string().check(z.minLength(1));
const duration = z.union([z.string(), z.number()]);
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const where = z.strictObject({
  field: fieldPath,
  eq: z.optional(scalar),
  ne: z.optional(scalar),
  in: z.optional(z.array(scalar).check(z.minLength(1))),
  gt: z.optional(z.number()),
  gte: z.optional(z.number()),
  lt: z.optional(z.number()),
  lte: z.optional(z.number()),
});

export const featureSchema = z.strictObject({
  name: identifier,
  entity: z.string(),
  agg: z.enum(AGGREGATIONS),
  field: z.optional(fieldPath),
  window: duration,
  tile: z.optional(duration),
  where: z.optional(where),
  description: z.optional(z.string()),
});

/** An entity's key fields, in order. */
export const entityKeysSchema = z.array(fieldPath).check(z.minLength(1));

export const specSchema = z.strictObject({
  version: z.literal(1),
  name: identifier,
  event: z.strictObject({
    timeField: fieldPath,
    idField: z.optional(fieldPath),
    allowedLateness: z.optional(duration),
    maxFutureSkew: z.optional(duration),
    dedupeHorizon: z.optional(duration),
    dedupeScope: z.optional(z.string()),
    fields: z.optional(z.record(fieldPath, z.enum(EVENT_FIELD_TYPES))),
  }),
  entities: z.record(identifier, entityKeysSchema),
  features: z.array(featureSchema).check(z.minLength(1)),
});

export type SpecInput = z.input<typeof specSchema>;
