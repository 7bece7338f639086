/**
 * A realistic point-in-time training set for tests, built in-process: the fraud generator's traffic replayed
 * through the engine, each label answered with its card's, merchant's and card–merchant pair's features as of
 * t = the labelled event's τ (so the event never sees itself). The Parquet it writes follows the contract of
 * `streamfeatures training-set`: key fields, t (INT64 epoch ms), event_id, label (DOUBLE), then one column per
 * feature in spec order (DOUBLE, nullable; STRING for `last`), rows in t order.
 */
import { readFileSync } from 'node:fs';
import { type ColumnSource, parquetWriteBuffer } from 'hyparquet-writer';
import { onShards } from '../../cli/simulated-stream.js';
import {
  type CompiledSpec,
  compileSpec,
  type FeatureValue,
  parseSpecJson,
  type ReplayQuery,
  replay,
} from '../../core/index.js';
import { generateFraudTraffic, type TrafficOptions } from '../../examples/fraud/generate.js';

export const FRAUD_SPEC_FILE = new URL('../../examples/fraud/spec.json', import.meta.url);

export function fraudSpec(): CompiledSpec {
  return compileSpec(parseSpecJson(readFileSync(FRAUD_SPEC_FILE, 'utf8')));
}

export interface FraudTrainingRow {
  readonly card_id: string;
  readonly merchant_id: string;
  readonly t: number;
  readonly event_id: string;
  readonly label: 0 | 1;
  readonly features: Readonly<Record<string, FeatureValue>>;
}

export interface FraudTrainingSet {
  readonly spec: CompiledSpec;
  /** In t order (the generator sorts its labels by τ). */
  readonly rows: FraudTrainingRow[];
}

/** Generates `traffic` (e.g. `{ events: 20_000 }`) and builds its training set. */
export function buildFraudTrainingSet(traffic: Partial<TrafficOptions> = {}): FraudTrainingSet {
  const spec = fraudSpec();
  const { records, labels } = generateFraudTraffic(traffic);
  const queries: ReplayQuery[] = [];
  for (const label of labels) {
    queries.push(
      { entity: 'card', key: { card_id: label.card_id }, t: label.ts },
      { entity: 'merchant', key: { merchant_id: label.merchant_id }, t: label.ts },
      {
        entity: 'card_merchant',
        key: { card_id: label.card_id, merchant_id: label.merchant_id },
        t: label.ts,
      },
    );
  }
  const { answers } = replay(spec, onShards(records, 4), queries);
  const rows = labels.map((label, i) => ({
    card_id: label.card_id,
    merchant_id: label.merchant_id,
    t: label.ts,
    event_id: label.event_id,
    label: label.label,
    features: Object.assign(
      {},
      answers[3 * i]?.features,
      answers[3 * i + 1]?.features,
      answers[3 * i + 2]?.features,
    ),
  }));
  return { spec, rows };
}

/** The training set as Parquet bytes, in the `streamfeatures training-set` column contract. */
export function trainingSetParquet({ spec, rows }: FraudTrainingSet): Uint8Array {
  const columns: ColumnSource[] = [
    { name: 'card_id', type: 'STRING', data: rows.map((r) => r.card_id), nullable: false },
    { name: 'merchant_id', type: 'STRING', data: rows.map((r) => r.merchant_id), nullable: false },
    { name: 't', type: 'INT64', data: BigInt64Array.from(rows, (r) => BigInt(r.t)), nullable: false },
    { name: 'event_id', type: 'STRING', data: rows.map((r) => r.event_id), nullable: false },
    { name: 'label', type: 'DOUBLE', data: Float64Array.from(rows, (r) => r.label), nullable: false },
  ];
  for (const feature of spec.spec.features) {
    const values = rows.map((r) => r.features[feature.name] ?? null);
    columns.push({ name: feature.name, type: feature.agg === 'last' ? 'STRING' : 'DOUBLE', data: values });
  }
  return new Uint8Array(parquetWriteBuffer({ columnData: columns }));
}
