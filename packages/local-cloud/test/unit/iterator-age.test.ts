import { describe, expect, it } from 'vitest';
import { MetricStore } from '../../src/cloudwatch/metric-store.js';
import { serviceMetricsInto } from '../../src/cloudwatch/service-metrics.js';
import { iteratorAgeMs, publishIteratorAge } from '../../src/esm/iterator-age.js';
import type { KinesisEvent } from '../../src/esm/kinesis-event.js';

const record = (arrivalSeconds: number) =>
  ({ kinesis: { approximateArrivalTimestamp: arrivalSeconds } }) as KinesisEvent['Records'][number];
const batch: KinesisEvent = { Records: [record(100), record(101.5), record(102.25)] };

describe('IteratorAge', () => {
  it("is the age of the batch's last record when it is sent, in milliseconds", () => {
    expect(iteratorAgeMs(batch, 105_000)).toBe(2_750);
    expect(iteratorAgeMs({ Records: [] }, 105_000)).toBeUndefined();
    // A clock behind the stream's never makes it negative.
    expect(iteratorAgeMs(batch, 102_000)).toBe(0);
  });

  it('goes to AWS/Lambda with the FunctionName dimension, into the CloudWatch store of the metrics it is given', () => {
    const store = new MetricStore();
    publishIteratorAge(
      serviceMetricsInto(store),
      'arn:aws:lambda:us-east-1:000000000000:function:features',
      batch,
      110_000,
    );
    const metric = store.get('AWS/Lambda', 'IteratorAge', [{ Name: 'FunctionName', Value: 'features' }]);
    expect(metric?.samples).toEqual([
      {
        timestamp: 110_000,
        unit: 'Milliseconds',
        sum: 7_750,
        count: 1,
        min: 7_750,
        max: 7_750,
        values: [7_750],
      },
    ]);
  });
});
