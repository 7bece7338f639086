import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { parseSpec, parseSpecJson, type Spec } from '../../core/index.js';
import { diffSpecs } from '../../core/spec-diff.js';

const fraud = parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8'));
const withFeatures = (spec: Spec, edit: (features: Spec['features']) => Spec['features']): Spec =>
  parseSpec({ ...spec, features: edit(spec.features) });

async function cli(before: Spec, after: Spec, ...flags: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'spec-diff-'));
  writeFileSync(join(dir, 'old.json'), JSON.stringify(before));
  writeFileSync(join(dir, 'new.json'), JSON.stringify(after));
  let out = '';
  let err = '';
  const code = await runCli(['spec', 'diff', join(dir, 'old.json'), join(dir, 'new.json'), ...flags], {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
  });
  return { code, out, err };
}

describe('spec diff', () => {
  it('says an unchanged spec is safe, and a reworded description changes nothing stored', () => {
    const reworded = withFeatures(fraud, (fs) => fs.map((f) => ({ ...f, description: 'new words' })));
    const diff = diffSpecs(fraud, reworded);
    expect(diff.verdict).toBe('safe');
    expect(diff.features.unchanged).toHaveLength(fraud.features.length);
    expect(diff.backfill).toEqual([]);
  });

  it('lists added, removed and changed features, and the archive each new one needs (window + lateness + skew)', () => {
    const after = withFeatures(fraud, (fs) => [
      ...fs
        .filter((f) => f.name !== 'card_amount_min_1h')
        .map((f) => (f.name === 'card_amount_sum_1h' ? { ...f, window: '2h' } : f)),
      { name: 'card_txn_count_30m', entity: 'card', agg: 'count', window: '30m', tile: '5m' },
    ]);
    const diff = diffSpecs(fraud, after);
    expect(diff.features.added).toEqual(['card_txn_count_30m']);
    expect(diff.features.removed).toEqual(['card_amount_min_1h']);
    expect(diff.features.changed).toEqual([{ name: 'card_amount_sum_1h', what: ['window "1h" -> "2h"'] }]);
    expect(diff.backfill).toEqual([
      { feature: 'card_txn_count_30m', entity: 'card', archiveMs: 36 * 60_000, archive: '36m' },
      { feature: 'card_amount_sum_1h', entity: 'card', archiveMs: 126 * 60_000, archive: '2h6m' },
    ]);
    expect(diff.verdict).toBe('backfill');
  });

  it('treats 60m and 1h as the same window', () => {
    const after = withFeatures(fraud, (fs) =>
      fs.map((f) => (f.window === '1h' ? { ...f, window: '60m' } : f)),
    );
    expect(diffSpecs(fraud, after).verdict).toBe('safe');
  });

  it('reports event fields added and retyped from the typed archive columns, and warns about newly required ones', () => {
    const after = withFeatures(fraud, (fs) => [
      ...fs,
      { name: 'card_last_amount_1h', entity: 'card', agg: 'last', field: 'amount', window: '1h', tile: '5m' },
      { name: 'card_avg_tip_1h', entity: 'card', agg: 'avg', field: 'tip', window: '1h', tile: '5m' },
    ]);
    const diff = diffSpecs(fraud, after);
    expect(diff.fields.added).toEqual([{ field: 'tip', type: 'double' }]);
    expect(diff.fields.retyped).toEqual([{ field: 'amount', before: 'double', after: 'string' }]);
    expect(diff.notes.join('\n')).toContain(
      'events whose "tip" is missing or of the wrong type become invalid',
    );
  });

  it('refuses a removed key field, naming the entity and the field', () => {
    const after = parseSpec({ ...fraud, entities: { ...fraud.entities, card_merchant: ['card_id'] } });
    const diff = diffSpecs(fraud, after);
    expect(diff.verdict).toBe('breaking');
    expect(diff.breaking[0]).toContain('entity "card_merchant" loses key field(s) "merchant_id"');
  });

  it('refuses a changed time field', () => {
    const after = parseSpec({ ...fraud, event: { ...fraud.event, timeField: 'event_ts' } });
    expect(diffSpecs(fraud, after).breaking[0]).toContain(
      'the event time field changes ("ts" -> "event_ts")',
    );
  });

  it('exits 0 when safe, 3 when a backfill is needed, 4 when breaking, with the reason on stderr', async () => {
    expect((await cli(fraud, fraud)).code).toBe(0);
    const added = withFeatures(fraud, (fs) => [
      ...fs,
      { name: 'card_txn_count_30m', entity: 'card', agg: 'count', window: '30m', tile: '5m' },
    ]);
    const needs = await cli(fraud, added);
    expect(needs.code).toBe(3);
    expect(needs.out).toContain('card_txn_count_30m               needs 36m of archive');
    expect(needs.out).toContain('--features card_txn_count_30m');
    const json = await cli(fraud, added, '--json');
    expect(JSON.parse(json.out).verdict).toBe('backfill');
    const rekeyed = parseSpec({ ...fraud, entities: { ...fraud.entities, merchant: ['merchant_name'] } });
    const refused = await cli(fraud, rekeyed);
    expect(refused.code).toBe(4);
    expect(refused.err).toContain('refused: entity "merchant" loses key field(s) "merchant_id"');
  });

  it('fails naming the file when a spec does not load', async () => {
    let err = '';
    const code = await runCli(['spec', 'diff', 'examples/fraud/spec.json', 'no/such/spec.json'], {
      out: () => undefined,
      err: (text) => {
        err += text;
      },
    });
    expect(code).toBe(1);
    expect(err).toContain('no/such/spec.json');
  });
});
