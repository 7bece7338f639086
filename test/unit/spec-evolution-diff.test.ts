import { describe, expect, it } from 'vitest';
import { parseSpec, type Spec } from '../../core/index.js';
import { rawArchiveColumns } from '../../core/offline-schema.js';
import { diffSpecs } from '../../core/spec-diff.js';
import { specA, specB } from '../support/evolving-spec.js';

const withFields = (spec: Spec, fields: Record<string, 'int' | 'double' | 'string'>) =>
  parseSpec({ ...spec, event: { ...spec.event, fields } });

describe('spec diff of event-schema changes', () => {
  it('takes a new optional event field as safe, its column added', () => {
    const diff = diffSpecs(specA, withFields(specA, { qty: 'int', coupon: 'string' }));
    expect(diff.verdict).toBe('safe');
    expect(diff.fields.added).toEqual([{ field: 'coupon', type: 'string' }]);
    expect(diff.notes.join('\n')).toContain('the raw archive gains a string column for "coupon"');
  });

  it('takes a field becoming a feature input as a backfill of that feature, its declared column unchanged', () => {
    const after = parseSpec({
      ...specA,
      features: [
        ...specA.features,
        { name: 'card_qty_max_2h', entity: 'card', agg: 'max', field: 'qty', window: '2h', tile: '5m' },
      ],
    });
    const diff = diffSpecs(specA, after);
    expect(diff.verdict).toBe('backfill');
    expect(diff.backfill.map((b) => b.feature)).toEqual(['card_qty_max_2h']);
    expect(diff.fields).toEqual({ added: [], removed: [], retyped: [] });
    expect(diff.notes.join('\n')).toContain(
      'events whose "qty" is missing or of the wrong type become invalid',
    );
  });

  it('takes a widening (int -> double, a number -> string) as safe', () => {
    expect(diffSpecs(specA, withFields(specA, { qty: 'double' })).verdict).toBe('safe');
    expect(diffSpecs(specA, withFields(specA, { qty: 'string' })).verdict).toBe('safe');
  });

  it('refuses a narrowing of a declared field, naming the field and both types', () => {
    const diff = diffSpecs(specB, withFields(specB, { qty: 'int', tip: 'double', channel: 'string' }));
    expect(diff.verdict).toBe('breaking');
    expect(diff.breaking).toEqual([
      'event field "qty" narrows double -> bigint (event.fields declares it int): values the archive holds as ' +
        'double may not fit bigint; widen instead, or declare a new field',
    ]);
  });

  it('refuses a retyped key field, naming it', () => {
    const diff = diffSpecs(specA, withFields(specA, { qty: 'int', card_id: 'int' }));
    expect(diff.verdict).toBe('breaking');
    expect(diff.breaking.join('\n')).toContain('key field "card_id" changes type string -> bigint');
  });

  it('types a declared field the spec reads nowhere else, and refuses a string field a numeric feature sums', () => {
    expect(rawArchiveColumns(specB).filter((c) => ['qty', 'tip'].includes(c.name))).toEqual([
      { name: 'qty', type: 'double', comment: 'field of feature card_qty_sum_2h: qty' },
      { name: 'tip', type: 'double', comment: 'declared event field: tip' },
    ]);
    expect(() => withFields(specB, { qty: 'string' })).toThrow(
      'features[2].field: "sum" needs a number, but event.fields declares "qty" a string',
    );
  });
});
