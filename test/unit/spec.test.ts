import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  compileSpec,
  defineSpec,
  MAX_TILES_PER_WINDOW,
  parseSpec,
  parseSpecJson,
  SpecError,
} from '../../core/index.js';

const base = {
  version: 1,
  name: 'fraud',
  event: { timeField: 'ts' },
  entities: { card: ['card_id'] },
};
const withFeatures = (...features: object[]) => ({ ...base, features });
const count10m = { name: 'n', entity: 'card', agg: 'count', window: '10m', tile: '1m' };

function issuesOf(input: unknown): string[] {
  try {
    parseSpec(input);
  } catch (error) {
    expect(error).toBeInstanceOf(SpecError);
    return [...(error as SpecError).issues];
  }
  throw new Error('expected the spec to be rejected');
}

describe('spec validation', () => {
  it('fills in the documented defaults and spells durations canonically', () => {
    const spec = parseSpec(withFeatures({ ...count10m, window: 600_000, tile: '60s' }));
    expect(spec.event).toEqual({
      timeField: 'ts',
      allowedLateness: '5m',
      maxFutureSkew: '1m',
      dedupeHorizon: '1d',
    });
    expect(spec.features[0]).toMatchObject({ window: '10m', tile: '1m' });
  });

  it('is idempotent: the normalized form parses to itself', () => {
    const spec = parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8'));
    expect(parseSpec(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
  });

  it('fails if a window is not a multiple of its tile, naming both', () => {
    expect(issuesOf(withFeatures({ ...count10m, window: '7m', tile: '5m' }))).toContain(
      'features[0].window: "7m" is not a multiple of tile "5m"',
    );
  });

  it('fails on a window of more tiles than the bound and says what tile to use', () => {
    const [issue] = issuesOf(withFeatures({ ...count10m, window: '24h', tile: '1m' }));
    expect(issue).toContain(`spans 1440 tiles of "1m", more than the bound of ${MAX_TILES_PER_WINDOW}`);
    expect(issue).toContain('use tile "1h"');
  });

  it('fails on duplicate feature names, unknown entities and unknown aggregations', () => {
    expect(issuesOf(withFeatures(count10m, count10m))).toContain(
      'features[1].name: "n" is already the name of features[0]',
    );
    expect(issuesOf(withFeatures({ ...count10m, entity: 'user' }))).toContain(
      'features[0].entity: unknown entity "user" (declared: card)',
    );
    const [agg] = issuesOf(withFeatures({ ...count10m, agg: 'median' }));
    expect(agg).toMatch(/^features\[0\]\.agg: .*\(got "median"\)$/);
  });

  it('fails if an aggregation that needs a field has none, or count has one', () => {
    expect(issuesOf(withFeatures({ ...count10m, agg: 'sum' }))).toContain(
      'features[0].field: "sum" needs a field to aggregate',
    );
    expect(issuesOf(withFeatures({ ...count10m, field: 'amount' }))).toContain(
      'features[0].field: "count" takes no field (got "amount")',
    );
  });

  it('fails on a bad duration, naming the value', () => {
    expect(
      issuesOf({ ...withFeatures(count10m), event: { timeField: 'ts', allowedLateness: '5 minutes' } }),
    ).toEqual([
      'event.allowedLateness: "5 minutes" is not a duration like "30s", "10m", "1h", "7d" or milliseconds',
    ]);
  });

  it('fails on a where filter with no comparison or two', () => {
    expect(issuesOf(withFeatures({ ...count10m, where: { field: 'status' } }))[0]).toContain(
      'give exactly one of',
    );
    expect(issuesOf(withFeatures({ ...count10m, where: { field: 's', eq: 1, ne: 2 } }))[0]).toContain(
      '(got eq, ne)',
    );
  });

  it('fails on unknown properties, so typos do not pass silently', () => {
    expect(issuesOf(withFeatures({ ...count10m, windw: '1h' }))).toEqual([
      'features[0].windw: unknown key (got "1h")',
    ]);
  });

  it('picks a default tile within the bound when a feature names none', () => {
    const spec = parseSpec(withFeatures({ name: 'n', entity: 'card', agg: 'count', window: '7d' }));
    expect(spec.features[0]?.tile).toBe('3h');
  });
});

describe('spec builders', () => {
  it('produce the same normalized spec as the JSON form', () => {
    const built = defineSpec('fraud', { timeField: 'ts', idField: 'event_id' })
      .entity('card', 'card_id')
      .entity('card_merchant', ['card_id', 'merchant_id'])
      .count('n', { entity: 'card', window: '10m', tile: '1m' })
      .sum('s', {
        entity: 'card_merchant',
        field: 'amount',
        window: '1h',
        tile: '5m',
        where: { field: 'ok', eq: true },
      })
      .build();
    const json = parseSpec({
      version: 1,
      name: 'fraud',
      event: { timeField: 'ts', idField: 'event_id' },
      entities: { card: ['card_id'], card_merchant: ['card_id', 'merchant_id'] },
      features: [
        count10m,
        {
          name: 's',
          entity: 'card_merchant',
          agg: 'sum',
          field: 'amount',
          window: '1h',
          tile: '5m',
          where: { field: 'ok', eq: true },
        },
      ],
    });
    expect(built).toEqual(json);
  });

  it('validate on build with the same errors', () => {
    const builder = defineSpec('x', { timeField: 'ts' })
      .entity('card', 'card_id')
      .count('n', { entity: 'card', window: '7m', tile: '5m' });
    expect(() => builder.build()).toThrow('features[0].window: "7m" is not a multiple of tile "5m"');
  });
});

describe('compiled spec', () => {
  it('groups an entity’s features by tile size', () => {
    const spec = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));
    const card = spec.entityByName.get('card');
    expect(card?.groups.map((g) => g.tileMs)).toEqual([60_000, 300_000, 3_600_000, 86_400_000]);
    expect(card?.maxWindowMs).toBe(7 * 86_400_000);
    expect(spec.entities.reduce((n, e) => n + e.features.length, 0)).toBe(16);
  });
});
