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

/**
 * The type of a declared event field: its raw-archive column's type (`int` a Glue `bigint`). A field may widen
 * (`int` -> `double`, `int` or `double` -> `string`) and keep its archive; a narrowing is refused (core/spec-diff.ts).
 */
export const EVENT_FIELD_TYPES = ['int', 'double', 'string'] as const;
export type EventFieldType = (typeof EVENT_FIELD_TYPES)[number];

export interface EventSpec {
  timeField: string;
  idField?: string;
  /**
   * Event fields declared with a type, by field path: each gets a typed raw-archive column of that type (a
   * field that may be absent, for example one no feature reads yet, is archived as null where absent). Types only
   * the archive's columns: what events are valid is decided by the features, as before. Undeclared fields the
   * spec reads get a column typed from their use (core/offline-schema.ts).
   */
  fields?: Record<string, EventFieldType>;
  allowedLateness: string;
  maxFutureSkew: string;
  dedupeHorizon: string;
  /**
   * Dedupe ids per key of this entity instead of across the stream: an id counts once per key of it within the
   * horizon, so one id sent with two different keys counts twice. It must be the first entity (the stream's
   * partition key), so every copy of an event meets in one online-store item, which keeps the claims.
   * @default - absent: an id counts once across the whole stream within the horizon
   */
  dedupeScope?: string;
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
