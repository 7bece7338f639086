import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseModelDocument } from '../../adapters/model/embedded-model.js';
import { checkModelVersion } from '../../adapters/model/model-version.js';
import { readTrainingSet, trainCommand } from '../../cli/train-command.js';
import { featureDistribution } from '../../core/monitoring/index.js';
import { buildFraudTrainingSet, trainingSetParquet } from '../support/fraud-training-set.js';

const dir = mkdtempSync(join(tmpdir(), 'sf-train-distributions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('train records training feature distributions', () => {
  it('writes each numeric column’s distribution into the registry entry, leaving the version to the content', async () => {
    const set = buildFraudTrainingSet({ events: 20_000, fraudRate: 0.02 });
    const file = join(dir, 'set.parquet');
    writeFileSync(file, trainingSetParquet(set));
    const registry = join(dir, 'models');
    const io = { out: () => {}, err: () => {} };
    expect(await trainCommand({ trainingSet: file, outDir: registry }, io)).toBe(0);
    const [name] = readdirSync(registry);
    const document = parseModelDocument(JSON.parse(readFileSync(join(registry, name as string), 'utf8')));
    expect(checkModelVersion(document).ok).toBe(true);
    const columns = await readTrainingSet(file, 'label');
    const distributions = document.featureDistributions ?? {};
    expect(Object.keys(distributions).sort()).toEqual([...columns.numeric.keys()].sort());
    // The same figures the core computes from the column, rounded to 6 digits.
    const amountMax = featureDistribution(Array.from(columns.numeric.get('card_amount_max_24h') ?? []));
    expect(distributions.card_amount_max_24h?.nullShare).toBeCloseTo(amountMax.nullShare, 5);
    expect(distributions.card_amount_max_24h?.edges).toHaveLength(amountMax.edges.length);
    expect(distributions.card_amount_max_24h?.edges[4]).toBeCloseTo(amountMax.edges[4] as number, 2);
  }, 120_000);
});
