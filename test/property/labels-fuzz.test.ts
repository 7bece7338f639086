/**
 * No client input gets a 5xx from the labels function, and nothing is lost in silence: for random and hostile
 * bodies (text, JSON values, arrays and JSON Lines of label-like objects, base64), every answer is a 202 that
 * delivered exactly the labels it counts, or a 4xx that delivered none; a 400 naming rejected labels names each
 * one the monitor's parser refuses, and only those.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryRecordStreamWriter } from '../../adapters/firehose/record-stream-writer.js';
import { compileSpec, parseSpecJson } from '../../core/index.js';
import { isLabelProblem, parseDelayedLabel } from '../../core/monitoring/index.js';
import { createLabelsHandler } from '../../lambdas/labels/labels-handler.js';
import { httpApiEvent } from '../../lambdas/shared/http.js';
import { recorder } from '../support/observability.js';

const RUNS = 300;
const SEED = 2718;
const spec = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));

/** Objects near the label format: each field present or not, of a right or a wrong type. */
const labelLike = fc.record(
  {
    request_id: fc.oneof(fc.string(), fc.constant(''), fc.integer(), fc.constant(null)),
    card_id: fc.oneof(fc.string({ minLength: 1 }), fc.integer()),
    merchant_id: fc.string(),
    ts: fc.oneof(
      fc.integer({ min: 0, max: 4_000_000_000_000 }),
      fc.constant('2026-11-01T10:00:00Z'),
      fc.string(),
    ),
    label: fc.oneof(fc.constantFrom(0, 1, true, false), fc.integer(), fc.string()),
    label_time: fc.oneof(
      fc.integer({ min: 0, max: 4_000_000_000_000 }),
      fc.constant('2026-11-20T10:00:00Z'),
      fc.string(),
    ),
  },
  { requiredKeys: [] },
);

const bodies = fc.oneof(
  fc.string(),
  fc.json(),
  fc.array(labelLike, { maxLength: 20 }).map((labels) => JSON.stringify(labels)),
  fc
    .array(
      fc.oneof(
        labelLike.map((l) => JSON.stringify(l)),
        fc.string(),
      ),
      { maxLength: 20 },
    )
    .map((lines) => lines.join('\n')),
  fc.integer({ min: 1, max: 60 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
);

/** Whether the monitor reads a value as a label (rather than setting it aside). */
function valid(value: unknown): boolean {
  return !isLabelProblem(parseDelayedLabel(spec, value, ''));
}

describe('the labels function under random bodies', () => {
  it('answers 202 delivering exactly what it counts, or 4xx delivering nothing; never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(bodies, fc.boolean(), async (text, base64) => {
        const delivery = new MemoryRecordStreamWriter();
        const r = recorder();
        const handler = createLabelsHandler({ spec, delivery, logger: r.logger, metrics: r.metricsSink });
        const response = await handler(httpApiEvent(text, { base64 }));
        const status = response.statusCode ?? 0;
        expect(status, text).toBeLessThan(500);
        const answer = JSON.parse(response.body as string) as {
          accepted?: number;
          message?: string;
          rejected?: { index: number; reason: string }[];
        };
        if (status === 202) {
          expect(answer.accepted).toBe(delivery.records.length);
          expect(delivery.lines().every(valid)).toBe(true);
        } else {
          expect(status).toBeGreaterThanOrEqual(400);
          expect(typeof answer.message).toBe('string');
          expect(delivery.records).toHaveLength(0);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('names, in a JSON array, exactly the labels the monitor would set aside', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(labelLike, { minLength: 1, maxLength: 20 }), async (labels) => {
        const delivery = new MemoryRecordStreamWriter();
        const r = recorder();
        const handler = createLabelsHandler({ spec, delivery, logger: r.logger, metrics: r.metricsSink });
        const response = await handler(httpApiEvent(labels));
        const bad = labels.flatMap((label, index) => (valid(label) ? [] : [index]));
        if (bad.length === 0) {
          expect(response.statusCode).toBe(202);
          expect(delivery.lines()).toEqual(labels);
        } else {
          expect(response.statusCode).toBe(400);
          const answer = JSON.parse(response.body as string) as { rejected: { index: number }[] };
          expect(answer.rejected.map((x) => x.index)).toEqual(bad);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
