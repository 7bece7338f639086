import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSpec, parseSpecJson, type Spec } from '../../core/index.js';
import {
  decideSpecGuard,
  MAX_REASON_CHARS,
  type SpecGuardRequest,
  specGuardId,
} from '../../lambdas/spec-guard/decide.js';

const fraud = parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8'));
const edited = (edit: (features: Spec['features']) => Spec['features'], spec: Spec = fraud): Spec =>
  parseSpec({ ...spec, features: edit(spec.features) });

/** Spec B: adds a card feature and changes another's window. */
const specB = edited((fs) => [
  ...fs.map((f) => (f.name === 'card_amount_sum_1h' ? { ...f, window: '2h' } : f)),
  { name: 'card_txn_count_30m', entity: 'card', agg: 'count', window: '30m', tile: '5m' },
]);

const props = (spec: Spec, backfillPlanned = false) => ({
  ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:guard',
  Spec: JSON.stringify(spec),
  BackfillPlanned: String(backfillPlanned),
  TableName: 'the-table',
  RawArchive: 's3://the-bucket/raw/',
});

/** An Update from `before` (deployed) to `after`, as CloudFormation sends it. */
const update = (before: Spec, after: Spec, backfillPlanned = false): SpecGuardRequest => ({
  requestType: 'Update',
  physicalResourceId: specGuardId(JSON.stringify(before)),
  properties: props(after, backfillPlanned),
  oldProperties: props(before),
});

describe('the spec guard', () => {
  it('refuses a change that leaves features empty, naming each with the archive it needs and the backfill command', () => {
    const decision = decideSpecGuard(update(fraud, specB));
    expect(decision.status).toBe('FAILED');
    if (decision.status !== 'FAILED') return;
    expect(decision.reason).toContain('card_txn_count_30m (added; needs 36m of archive)');
    expect(decision.reason).toContain(
      'card_amount_sum_1h (changed: window "1h" -> "2h"; needs 2h6m of archive)',
    );
    expect(decision.reason).toContain(
      'streamfeatures backfill --spec <new spec> --archive s3://the-bucket/raw/ --table the-table ' +
        '--features card_txn_count_30m,card_amount_sum_1h',
    );
    expect(decision.reason).toContain('cdk deploy -c backfillPlanned=true');
    // A refusal keeps the deployed spec's id: the resource stays what it was.
    expect(decision.physicalResourceId).toBe(specGuardId(JSON.stringify(fraud)));
  });

  it('lets the same change through with a backfill planned, under the new spec id', () => {
    const decision = decideSpecGuard(update(fraud, specB, true));
    expect(decision).toMatchObject({
      status: 'SUCCESS',
      physicalResourceId: specGuardId(JSON.stringify(specB)),
    });
  });

  it('passes without a plan a change that only removes a feature, or rewords a description', () => {
    const removed = edited((fs) => fs.filter((f) => f.name !== 'card_txn_count_1h'));
    expect(decideSpecGuard(update(fraud, removed)).status).toBe('SUCCESS');
    const reworded = edited((fs) => fs.map((f) => ({ ...f, description: 'other words' })));
    expect(decideSpecGuard(update(fraud, reworded)).status).toBe('SUCCESS');
  });

  it('passes the rollback of a refused update: back to the spec the physical id names, from the refused one', () => {
    const rollback: SpecGuardRequest = {
      requestType: 'Update',
      physicalResourceId: specGuardId(JSON.stringify(fraud)),
      properties: props(fraud),
      oldProperties: props(specB),
    };
    expect(decideSpecGuard(rollback)).toMatchObject({ status: 'SUCCESS' });
    // Whereas the same change deployed for real (B deployed, back to A) empties card_amount_sum_1h again.
    expect(decideSpecGuard(update(specB, fraud)).status).toBe('FAILED');
  });

  it('refuses a breaking change even with a backfill planned, with spec diff reason', () => {
    const rekeyed = parseSpec({ ...fraud, entities: { ...fraud.entities, card: ['card_id', 'issuer'] } });
    const decision = decideSpecGuard(update(fraud, rekeyed, true));
    expect(decision.status).toBe('FAILED');
    if (decision.status === 'FAILED')
      expect(decision.reason).toMatch(/refused: entity "card" changes its key fields/);
  });

  it('always passes Create and Delete, and fails a Spec property that is no spec, naming it', () => {
    expect(decideSpecGuard({ requestType: 'Create', properties: props(specB) })).toMatchObject({
      status: 'SUCCESS',
      physicalResourceId: specGuardId(JSON.stringify(specB)),
    });
    expect(
      decideSpecGuard({ requestType: 'Delete', physicalResourceId: 'x', properties: { Spec: 'garbage' } }),
    ).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'x' });
    const bad = decideSpecGuard({ requestType: 'Create', properties: { Spec: '{"version": 1}' } });
    expect(bad.status).toBe('FAILED');
    if (bad.status === 'FAILED') expect(bad.reason).toMatch(/^Spec is not a valid spec: /);
  });

  it('keeps a long refusal within what a CloudFormation response may carry', () => {
    const many = edited((fs) => [
      ...fs,
      ...Array.from({ length: 200 }, (_, i) => ({
        name: `card_extra_feature_number_${i}`,
        entity: 'card',
        agg: 'count' as const,
        window: '1h',
        tile: '5m',
      })),
    ]);
    const decision = decideSpecGuard(update(fraud, many));
    expect(decision.status).toBe('FAILED');
    if (decision.status !== 'FAILED') return;
    expect(decision.reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    // Cut in the list, not at the end: how to go on is still said.
    expect(decision.reason).toMatch(/, and \d+ more \(streamfeatures spec diff lists them all\)/);
    expect(decision.reason).toContain('cdk deploy -c backfillPlanned=true');
    expect(decision.reason).toContain('--table the-table --features <the features spec diff lists>');
  });
});
