/**
 * Inputs for `streamfeatures monitor` from generated traffic: the fraud generator's events as the raw archive and
 * side outputs, a feature log of the example model's scores (the placeholder model as a shadow beside it), and
 * delayed labels arriving 1 to 30 days later, half by request id and half by entity keys + time, one of them bad.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeRawArchive } from '../../adapters/archive/archive-writer.js';
import { EmbeddedModel, parseModelDocument } from '../../adapters/model/embedded-model.js';
import { trainingDistributions } from '../../adapters/model/training-distributions.js';
import { jsonLinesText, rejectionLine, sideOutputKey } from '../../adapters/side-outputs/layout.js';
import { onShards } from '../../cli/simulated-stream.js';
import { classify, isRejection } from '../../core/index.js';
import { seededRandom } from '../../core/seeded-random.js';
import { fraudSpec } from './fraud-training-set.js';
import { servedVectors } from './served-vectors.js';

const spec = fraudSpec();
const DAY = 86_400_000;
export interface MonitorFixture {
  readonly paths: { log: string; labels: string; archive: string; sideOutputs: string; models: string };
  /** What the labelled requests were: their labels and champion scores, in log order. */
  readonly expected: {
    labels: number[];
    scores: number[];
    labelled: number;
    predictions: number;
    records: number;
  };
}

/** Writes the fixture under `dir`: feature-log.jsonl, labels/, archive/, side-outputs/, models/. */
export function writeMonitorFixture(dir: string): MonitorFixture {
  const paths = { log: '', labels: '', archive: '', sideOutputs: '', models: '' };
  const registry = new URL('../../examples/fraud/models/', import.meta.url);
  const championDoc = parseModelDocument(
    JSON.parse(readFileSync(new URL('fraud-lr-52a6357d6140.json', registry), 'utf8')),
  );
  const shadowDoc = parseModelDocument(
    JSON.parse(readFileSync(new URL('placeholder-untrained-0.json', registry), 'utf8')),
  );
  const champion = new EmbeddedModel(championDoc);
  const shadow = new EmbeddedModel(shadowDoc);

  const { records, rows } = servedVectors({
    events: 4_000,
    eventsPerSecond: 0.5,
    cards: 300,
    merchants: 60,
    seed: 11,
  });
  // Training distributions from every other row: the champion's registry entry as `train` writes it.
  const numeric = spec.spec.features.filter((f) => f.agg !== 'last').map((f) => f.name);
  const training = rows.filter((_, i) => i % 2 === 0);
  paths.models = join(dir, 'models');
  mkdirSync(paths.models);
  const distributions = trainingDistributions(
    new Map(
      numeric.map((name) => [name, training.map((row) => (row.features[name] ?? null) as number | null)]),
    ),
  );
  writeFileSync(
    join(paths.models, `${championDoc.version}.json`),
    JSON.stringify({ ...championDoc, featureDistributions: distributions }),
  );
  // The shadow's entry predates distributions.
  writeFileSync(join(paths.models, `${shadowDoc.version}.json`), JSON.stringify(shadowDoc));

  const random = seededRandom(5);
  const log: unknown[] = [];
  const labelsById: unknown[] = [];
  const labelsByKeys: unknown[] = [];
  const expected: MonitorFixture['expected'] = {
    labels: [],
    scores: [],
    labelled: 0,
    predictions: rows.length,
    records: records.length,
  };
  rows.forEach((row, i) => {
    const score = champion.scoreVector(row.features as never);
    log.push({
      request_id: `req-${i}`,
      request_ms: row.t + 40,
      t: row.t,
      entities: {
        card: { card_id: row.card_id },
        merchant: { merchant_id: row.merchant_id },
        card_merchant: { card_id: row.card_id, merchant_id: row.merchant_id },
      },
      features: row.features,
      score,
      model_version: championDoc.version,
      backend: 'embedded',
      fallback: false,
      variant: 'champion',
      shadow_score: shadow.scoreVector(row.features as never),
      shadow_model_version: shadowDoc.version,
    });
    if (random() < 0.2) return; // a fifth of the requests have no label yet
    const labelTime = row.t + Math.round((1 + 29 * random()) * DAY); // chargebacks: 1 to 30 days later
    expected.labelled++;
    expected.labels.push(row.label);
    expected.scores.push(score);
    if (i % 2 === 0)
      labelsById.push({ request_id: `req-${i}`, label: row.label === 1, label_time: labelTime });
    else {
      labelsByKeys.push({
        card_id: row.card_id,
        merchant_id: row.merchant_id,
        ts: new Date(row.t).toISOString(),
        label: row.label,
        label_time: new Date(labelTime).toISOString(),
      });
    }
  });
  paths.log = join(dir, 'feature-log.jsonl');
  writeFileSync(paths.log, jsonLinesText(log));
  paths.labels = join(dir, 'labels');
  mkdirSync(join(paths.labels, 'dt=2026-12-01'), { recursive: true });
  writeFileSync(join(paths.labels, 'dt=2026-12-01', 'by-request.jsonl'), jsonLinesText(labelsById));
  writeFileSync(
    join(paths.labels, 'dt=2026-12-01', 'by-keys.jsonl'),
    `${jsonLinesText(labelsByKeys)}{"card_id":"c1","label":"maybe","label_time":1}\n`,
  );

  // The pipeline's outputs for the same records: raw archive, and the set-aside ones in quarantine/ and late/.
  const shardRecords = onShards(records, 2);
  paths.archive = join(dir, 'archive');
  writeRawArchive(paths.archive, spec.spec, shardRecords);
  paths.sideOutputs = join(dir, 'side-outputs');
  for (const record of shardRecords) {
    const result = classify(spec, record);
    if (!isRejection(result)) continue;
    const prefix = result.reason === 'late' ? 'late/' : 'quarantine/';
    const key = join(paths.sideOutputs, sideOutputKey(prefix, { first: record, last: record }));
    mkdirSync(join(key, '..'), { recursive: true });
    writeFileSync(key, jsonLinesText([rejectionLine(result)]));
  }
  return { paths, expected };
}
