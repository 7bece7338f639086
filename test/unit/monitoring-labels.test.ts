import { describe, expect, it } from 'vitest';
import {
  type DelayedLabel,
  isLabelProblem,
  JOIN_TOLERANCE_MS,
  joinLabels,
  parseDelayedLabel,
  type ScoredRequest,
} from '../../core/monitoring/index.js';
import { fraudSpec } from '../support/fraud-training-set.js';

const spec = fraudSpec();
const T = Date.parse('2026-11-01T10:00:00Z');

describe('parseDelayedLabel', () => {
  it('reads a label named by request id, and one named by entity keys and the spec time field', () => {
    expect(
      parseDelayedLabel(spec, { request_id: 'r1', label: true, label_time: '2026-11-20T00:00:00Z' }, 'l:1'),
    ).toEqual({
      source: 'l:1',
      requestId: 'r1',
      keys: {},
      t: null,
      label: 1,
      labelTime: Date.parse('2026-11-20T00:00:00Z'),
    });
    expect(
      parseDelayedLabel(
        spec,
        { card_id: 'c1', merchant_id: 'm1', ts: T, label: 0, label_time: T + 1 },
        'l:2',
      ),
    ).toMatchObject({ requestId: null, keys: { card_id: 'c1', merchant_id: 'm1' }, t: T, label: 0 });
  });

  it.each([
    [{ request_id: 'r', label: 2, label_time: T }, '"label" must be 0, 1, true or false (got 2)'],
    [{ request_id: 'r', label: 1 }, '"label_time" must be epoch ms or ISO-8601 with a zone (got nothing)'],
    [{ request_id: '', label: 1, label_time: T }, '"request_id" must be a non-empty string (got "")'],
    [
      { card_id: 'c1', label: 1, label_time: T },
      'a label needs "request_id", or the key fields of an entity',
    ],
    [{ card_id: 'c1', ts: 'yesterday', label: 1, label_time: T }, 'time field "ts" must be epoch ms'],
    [[1, 2], 'a label must be a JSON object (got [1,2])'],
  ])('sets aside %j with the reason, naming its line', (body, reason) => {
    const parsed = parseDelayedLabel(spec, body, 'labels.jsonl:7');
    expect(isLabelProblem(parsed)).toBe(true);
    expect(parsed).toMatchObject({ source: 'labels.jsonl:7' });
    expect((parsed as { reason: string }).reason).toContain(reason);
  });
});

describe('joinLabels', () => {
  const request = (id: string, card: string, merchant: string, t: number): ScoredRequest => ({
    source: id,
    requestId: id,
    requestMs: t,
    t,
    entities: [
      { entity: 'card', key: { card_id: card } },
      { entity: 'merchant', key: { merchant_id: merchant } },
    ],
    features: {},
    score: 0.1,
    modelVersion: 'm',
    variant: 'champion',
    shadowScore: null,
    shadowModelVersion: null,
  });
  const byKeys = (card: string, t: number, extra: Record<string, string> = {}): DelayedLabel => ({
    source: `label ${card}@${t}`,
    requestId: null,
    keys: { card_id: card, ...extra },
    t,
    label: 1,
    labelTime: t + 86_400_000,
  });
  const requests = [
    request('r1', 'c1', 'm1', T),
    request('r2', 'c1', 'm2', T + 3_000),
    request('r3', 'c2', 'm1', T),
  ];

  it('joins by request id first', () => {
    const label = { ...byKeys('c2', T), requestId: 'r1' };
    expect(joinLabels(requests, [label]).pairs.map((p) => p.request.requestId)).toEqual(['r1']);
  });

  it('joins by keys to the request nearest in time, within the tolerance, and no further', () => {
    const join = joinLabels(requests, [
      byKeys('c1', T + 2_000), // r2 is 1 s away, r1 2 s
      byKeys('c2', T - JOIN_TOLERANCE_MS),
      byKeys('c2', T + JOIN_TOLERANCE_MS + 1),
      byKeys('c1', T, { merchant_id: 'm9' }), // the merchant disagrees with both c1 requests
    ]);
    expect(join.pairs.map((p) => [p.label.source, p.request.requestId])).toEqual([
      [`label c1@${T + 2_000}`, 'r2'],
      [`label c2@${T - JOIN_TOLERANCE_MS}`, 'r3'],
    ]);
    expect(join.unmatched).toHaveLength(2);
  });

  it('gives a request one label: a second one for it is a duplicate', () => {
    const join = joinLabels(requests, [{ ...byKeys('c1', T), requestId: 'r1' }, byKeys('c1', T)]);
    expect(join.pairs).toHaveLength(1);
    expect(join.duplicates).toHaveLength(1);
  });
});
