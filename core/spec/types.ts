/** The normalized feature spec: the one JSON form the builders and the JSON parser both produce. */

export const AGGREGATIONS = ['count', 'sum', 'avg', 'min', 'max', 'stddev', 'last', 'distinct'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/** Aggregations over a numeric field. */
export const NUMERIC_AGGREGATIONS: readonly Aggregation[] = ['sum', 'avg', 'min', 'max', 'stddev'];

export type Scalar = string | number | boolean | null;

/** Restricts which events a feature counts. Exactly one comparison. */
export interface WhereFilter {
  field: string;
  eq?: Scalar;
  ne?: Scalar;
  in?: Scalar[];
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

export interface FeatureSpec {
  name: string;
  entity: string;
  agg: Aggregation;
  /** Required by every aggregation but `count`. */
  field?: string;
  window: string;
  tile: string;
  where?: WhereFilter;
  description?: string;
}

export interface EventSpec {
  timeField: string;
  idField?: string;
  allowedLateness: string;
  maxFutureSkew: string;
  dedupeHorizon: string;
}

export interface Spec {
  version: 1;
  name: string;
  event: EventSpec;
  /** Entity name → its key fields, in order. */
  entities: Record<string, string[]>;
  features: FeatureSpec[];
}

/** The largest number of tiles a window may span: keeps online-store items and reads bounded. */
export const MAX_TILES_PER_WINDOW = 64;

export const DEFAULT_ALLOWED_LATENESS = '5m';
export const DEFAULT_MAX_FUTURE_SKEW = '1m';
export const DEFAULT_DEDUPE_HORIZON = '24h';
