/** What the plan reads (PlanInput) and what it answers (Plan): every line with the formula that produced it. */
import type { SteadyStateFigures } from './figures.js';
import type { PriceName } from './prices.js';

export interface PlanEntity {
  readonly name: string;
  readonly keyFields: readonly string[];
}

export interface PlanInput {
  /** The spec's entities; the first is the stream's partition entity (the ingest function partitions by it). */
  readonly entities: readonly PlanEntity[];
  /** The event fields the spec reads (time, id, keys, values), for estimating a record's size. */
  readonly eventFields: readonly string[];
  /** How long the id ledger keeps an event's id, ms; 0 when the spec has no id field or scopes its dedupe. */
  readonly dedupeHorizonMs: number;
  readonly figures: SteadyStateFigures;
  readonly eventsPerSecond: number;
  /** Keys of each entity live in the store; others are derived (see entityCounts). */
  readonly entityCounts?: Readonly<Record<string, number>>;
  readonly recordBytes?: number;
  readonly scoringRps?: number;
  /** Days the raw archive is kept in S3. */
  readonly archiveDays?: number;
  /** The hottest key's share of a shared entity's traffic; default from the Zipf popularity. */
  readonly hotKeyShare?: number;
  /** The hottest key's item size, bytes; default the largest item of its entity the bench measured. */
  readonly hotItemBytes?: number;
  /** Events one shard's writer applies a second; default the writer's model (writer-model.ts) on AWS. */
  readonly writerEventsPerSecond?: number;
  /** DynamoDB's latency per call on AWS, ms, for the writer's model; default ASSUMPTIONS.dynamodbLatencyMs. */
  readonly dynamodbLatencyMs?: number;
  /** Lambda's CPU time per CPU ms of the bench machine, for the writer's model; default ASSUMPTIONS.lambdaCpuFactor. */
  readonly lambdaCpuFactor?: number;
}

export interface PlanLine {
  readonly section: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly formula: string;
}

export interface CostLine {
  readonly section: string;
  readonly name: string;
  readonly usdPerMonth: number;
  readonly formula: string;
  /** Which total it counts in: both, or only the one with that DynamoDB capacity mode; 'alternative' in neither. */
  readonly counts: 'both' | 'on-demand' | 'provisioned' | 'alternative';
}

export interface Plan {
  readonly needs: readonly PlanLine[];
  readonly costs: readonly CostLine[];
  readonly totals: { readonly onDemandUsdPerMonth: number; readonly provisionedUsdPerMonth: number };
  readonly assumptions: readonly string[];
  readonly warnings: readonly string[];
  readonly prices: readonly PriceName[];
}
