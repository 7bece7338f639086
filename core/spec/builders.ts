import { parseSpec } from './normalize.js';
import type { Aggregation, EventFieldType, Spec, WhereFilter } from './types.js';

/**
 * Typed builders for the spec. They produce the same JSON form a user could write by hand, and `build()`
 * validates it through the same parser, so both ways end in one normalized spec.
 *
 *   const spec = defineSpec('fraud', { timeField: 'ts', idField: 'event_id' })
 *     .entity('card', ['card_id'])
 *     .count('card_txn_count_10m', { entity: 'card', window: '10m', tile: '1m' })
 *     .sum('card_amount_sum_1h', { entity: 'card', field: 'amount', window: '1h', tile: '5m' })
 *     .build();
 */

type Duration = string | number;

export interface EventOptions {
  timeField: string;
  idField?: string;
  allowedLateness?: Duration;
  maxFutureSkew?: Duration;
  dedupeHorizon?: Duration;
  /** EventSpec.dedupeScope. */
  dedupeScope?: string;
  /** Event fields declared with a type, for the raw archive's columns (EventSpec.fields). */
  fields?: Record<string, EventFieldType>;
}

export interface WindowOptions<E extends string> {
  entity: E;
  window: Duration;
  /** @default - the smallest of 1s, 1m, 5m, 15m, 1h, 3h, 6h, 1d that divides the window into at most 64 tiles */
  tile?: Duration;
  where?: WhereFilter;
  description?: string;
}

export interface FieldOptions<E extends string> extends WindowOptions<E> {
  field: string;
}

interface FeatureInput {
  name: string;
  entity: string;
  agg: Aggregation;
  field?: string;
  window: Duration;
  tile?: Duration;
  where?: WhereFilter;
  description?: string;
}

export class SpecBuilder<E extends string = never> {
  private readonly entities: Record<string, string[]> = {};
  private readonly features: FeatureInput[] = [];

  constructor(
    private readonly name: string,
    private readonly event: EventOptions,
  ) {}

  /** Declares an entity by its key fields, e.g. `entity('card_merchant', ['card_id', 'merchant_id'])`. */
  entity<N extends string>(name: N, keyFields: string | string[]): SpecBuilder<E | N> {
    this.entities[name] = typeof keyFields === 'string' ? [keyFields] : [...keyFields];
    return this as SpecBuilder<E | N>;
  }

  count(name: string, options: WindowOptions<E>): this {
    return this.add(name, 'count', options);
  }
  sum(name: string, options: FieldOptions<E>): this {
    return this.add(name, 'sum', options);
  }
  avg(name: string, options: FieldOptions<E>): this {
    return this.add(name, 'avg', options);
  }
  min(name: string, options: FieldOptions<E>): this {
    return this.add(name, 'min', options);
  }
  max(name: string, options: FieldOptions<E>): this {
    return this.add(name, 'max', options);
  }
  stddev(name: string, options: FieldOptions<E>): this {
    return this.add(name, 'stddev', options);
  }
  last(name: string, options: FieldOptions<E>): this {
    return this.add(name, 'last', options);
  }
  distinct(name: string, options: FieldOptions<E>): this {
    return this.add(name, 'distinct', options);
  }

  /** The spec in JSON form, unvalidated. */
  toJSON(): unknown {
    return {
      version: 1,
      name: this.name,
      event: this.event,
      entities: this.entities,
      features: this.features,
    };
  }

  /** Validates and normalizes; throws SpecError naming every bad value. */
  build(): Spec {
    return parseSpec(this.toJSON());
  }

  private add(name: string, agg: Aggregation, options: WindowOptions<E> & { field?: string }): this {
    const feature: FeatureInput = { name, entity: options.entity, agg, window: options.window };
    if (options.field !== undefined) feature.field = options.field;
    if (options.tile !== undefined) feature.tile = options.tile;
    if (options.where !== undefined) feature.where = options.where;
    if (options.description !== undefined) feature.description = options.description;
    this.features.push(feature);
    return this;
  }
}

export function defineSpec(name: string, event: EventOptions): SpecBuilder {
  return new SpecBuilder(name, event);
}
