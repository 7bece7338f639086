import { z } from 'zod';
import { AGGREGATIONS } from './types.js';

/** The structural shape of the spec JSON form. Cross-field rules live in normalize.ts. */

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must start with a letter or _ and hold only letters, digits and _');
const fieldPath = z.string().min(1);
const duration = z.union([z.string(), z.number()]);
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const where = z.strictObject({
  field: fieldPath,
  eq: scalar.optional(),
  ne: scalar.optional(),
  in: z.array(scalar).min(1).optional(),
  gt: z.number().optional(),
  gte: z.number().optional(),
  lt: z.number().optional(),
  lte: z.number().optional(),
});

const feature = z.strictObject({
  name: identifier,
  entity: z.string(),
  agg: z.enum(AGGREGATIONS),
  field: fieldPath.optional(),
  window: duration,
  tile: duration.optional(),
  where: where.optional(),
  description: z.string().optional(),
});

export const specSchema = z.strictObject({
  version: z.literal(1),
  name: identifier,
  event: z.strictObject({
    timeField: fieldPath,
    idField: fieldPath.optional(),
    allowedLateness: duration.optional(),
    maxFutureSkew: duration.optional(),
    dedupeHorizon: duration.optional(),
  }),
  entities: z.record(identifier, z.array(fieldPath).min(1)),
  features: z.array(feature).min(1),
});

export type SpecInput = z.input<typeof specSchema>;
