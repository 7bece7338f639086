/**
 * Feature vectors as the scoring path would have served them for the fraud generator's labelled events, with an
 * optional planted change to the raw events first (amounts × 3): the served side of drift and monitoring tests.
 */
import { onShards } from '../../cli/simulated-stream.js';
import type { ReplayQuery } from '../../core/index.js';
import { replay } from '../../core/index.js';
import { generateFraudTraffic, type TrafficOptions } from '../../examples/fraud/generate.js';
import type { GeneratedRecord } from '../../examples/fraud/traffic-types.js';
import { type FraudTrainingRow, fraudSpec } from './fraud-training-set.js';

export interface ServedTraffic {
  readonly records: GeneratedRecord[];
  readonly rows: FraudTrainingRow[];
}

export function servedVectors(traffic: Partial<TrafficOptions>, amountFactor = 1): ServedTraffic {
  const spec = fraudSpec();
  const generated = generateFraudTraffic(traffic);
  const records =
    amountFactor === 1 ? generated.records : generated.records.map((r) => scaleAmount(r, amountFactor));
  const queries: ReplayQuery[] = generated.labels.flatMap((label): ReplayQuery[] => [
    { entity: 'card', key: { card_id: label.card_id }, t: label.ts },
    { entity: 'merchant', key: { merchant_id: label.merchant_id }, t: label.ts },
    { entity: 'card_merchant', key: { card_id: label.card_id, merchant_id: label.merchant_id }, t: label.ts },
  ]);
  const { answers } = replay(spec, onShards(records, 4), queries);
  const rows = generated.labels.map((label, i) => ({
    ...label,
    t: label.ts,
    features: Object.assign(
      {},
      answers[3 * i]?.features,
      answers[3 * i + 1]?.features,
      answers[3 * i + 2]?.features,
    ),
  }));
  return { records, rows };
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function scaleAmount(record: GeneratedRecord, factor: number): GeneratedRecord {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(decoder.decode(record.data)) as Record<string, unknown>;
  } catch {
    return record; // the generator's garbage records stay garbage
  }
  if (body === null || typeof body.amount !== 'number') return record;
  return { ...record, data: encoder.encode(JSON.stringify({ ...body, amount: body.amount * factor })) };
}
