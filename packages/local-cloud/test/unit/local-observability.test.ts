/** The pure parts of the local cloud's Logs, metrics and Lambda APIs: filter patterns, the bounded log store,
 * EMF parsing, statistics, the query protocol's codec and FunctionName reading. */
import { describe, expect, it } from 'vitest';
import { samplesOfEmfLine } from '../../src/cloudwatch/emf.js';
import { bucketsOf, percentile, statistic } from '../../src/cloudwatch/statistics.js';
import { functionNameOf } from '../../src/lambda-api/registry.js';
import { compileFilterPattern, FilterPatternError } from '../../src/logs/filter-pattern.js';
import { LogStore } from '../../src/logs/log-store.js';
import { decodeQueryParams, toXml } from '../../src/services/query-protocol.js';

describe('filter patterns', () => {
  it('matches every term, quoted phrases as written, and honours -exclusions and ?alternatives', () => {
    const match = compileFilterPattern('ERROR "timed out" -retry');
    expect(match('ERROR: Task timed out after 3 s')).toBe(true);
    expect(match('ERROR: Task timed out, retry scheduled')).toBe(false);
    expect(match('ERROR: timed   out')).toBe(false);
    const either = compileFilterPattern('?WARN ?ERROR');
    expect([either('a WARN'), either('an ERROR'), either('INFO')]).toEqual([true, true, false]);
  });

  it('reads JSON conditions with =, !=, numeric comparisons, prefixes, && and ||', () => {
    const match = compileFilterPattern('{ $.level = "ERROR" && $.latency > 100 || $.user.id = "adm*" }');
    expect(match('{"level":"ERROR","latency":150}')).toBe(true);
    expect(match('{"level":"ERROR","latency":50}')).toBe(false);
    expect(match('{"level":"INFO","user":{"id":"admin"}}')).toBe(true);
    expect(match('not json')).toBe(false);
  });

  it('refuses what it cannot read, naming the pattern', () => {
    expect(() => compileFilterPattern('[ip, user]')).toThrow(FilterPatternError);
    expect(() => compileFilterPattern('{ $.a ~ 1 }')).toThrow(/\$\.a ~ 1/);
  });
});

describe('LogStore', () => {
  it('keeps at most maxEventsPerGroup events per group, dropping the oldest arrivals first', () => {
    const store = new LogStore(3);
    store.append('g', 'a', [{ timestamp: 1, message: 'a1' }], { create: true });
    store.append('g', 'b', [{ timestamp: 2, message: 'b1' }], { create: true });
    store.append(
      'g',
      'a',
      [
        { timestamp: 3, message: 'a2' },
        { timestamp: 4, message: 'a3' },
      ],
      { create: true },
    );
    const group = store.group('g');
    expect(group.droppedEvents).toBe(1);
    expect(group.streams.get('a')?.events.map((e) => e.message)).toEqual(['a2', 'a3']);
    expect(group.streams.get('b')?.events.map((e) => e.message)).toEqual(['b1']);
  });

  it('refuses events for a missing group unless asked to create it', () => {
    const store = new LogStore();
    expect(() => store.append('nope', 's', [{ timestamp: 1, message: 'x' }])).toThrow(
      /log group does not exist: nope/,
    );
  });
});

describe('EMF', () => {
  it('turns a Powertools metrics line into one sample per metric and dimension set', () => {
    const line = JSON.stringify({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: 'streamfeatures',
            Dimensions: [['service']],
            Metrics: [
              { Name: 'RecordsCounted', Unit: 'Count' },
              { Name: 'Latency', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      service: 'features',
      RecordsCounted: 7,
      Latency: [3, 5],
    });
    const samples = samplesOfEmfLine(line, 0);
    expect(samples).toEqual([
      expect.objectContaining({
        namespace: 'streamfeatures',
        metricName: 'RecordsCounted',
        dimensions: [{ Name: 'service', Value: 'features' }],
        sample: expect.objectContaining({ timestamp: 1_700_000_000_000, sum: 7, count: 1, unit: 'Count' }),
      }),
      expect.objectContaining({
        metricName: 'Latency',
        sample: expect.objectContaining({ sum: 8, count: 2, min: 3, max: 5 }),
      }),
    ]);
  });

  it('ignores lines that are not EMF', () => {
    expect(samplesOfEmfLine('START RequestId: x', 0)).toEqual([]);
    expect(samplesOfEmfLine('{"_aws": 1}', 0)).toEqual([]);
  });
});

describe('statistics', () => {
  const sample = (timestamp: number, value: number) => ({
    timestamp,
    unit: 'None',
    sum: value,
    count: 1,
    min: value,
    max: value,
    values: [value],
  });
  it('groups samples by period from the start time and computes the statistics of each', () => {
    const buckets = bucketsOf(
      [sample(0, 1), sample(59_999, 3), sample(60_000, 10), sample(120_000, 99)],
      0,
      120_000,
      60_000,
    );
    expect(buckets.map((b) => b.start)).toEqual([0, 60_000]);
    expect(statistic(buckets[0]?.samples ?? [], 'Average')).toBe(2);
    expect(statistic(buckets[0]?.samples ?? [], 'SampleCount')).toBe(2);
  });

  it('answers percentiles by nearest rank, and none without raw values', () => {
    const samples = [1, 2, 3, 4, 100].map((v) => sample(0, v));
    expect([percentile(samples, 'p50'), percentile(samples, 'p99'), percentile(samples, 'p0')]).toEqual([
      3, 100, 1,
    ]);
    expect(
      percentile([{ timestamp: 0, unit: 'None', sum: 5, count: 2, min: 1, max: 4 }], 'p50'),
    ).toBeUndefined();
  });
});

describe('query protocol', () => {
  it('reads member lists and nested structures from form parameters', () => {
    const input = decodeQueryParams(
      new URLSearchParams(
        'Action=GetMetricStatistics&Namespace=N&Dimensions.member.2.Name=b&Dimensions.member.2.Value=2&Dimensions.member.1.Name=a&Dimensions.member.1.Value=1&Statistics.member.1=Sum',
      ),
    );
    expect(input).toEqual({
      Namespace: 'N',
      Dimensions: [
        { Name: 'a', Value: '1' },
        { Name: 'b', Value: '2' },
      ],
      Statistics: ['Sum'],
    });
  });

  it('writes lists as member, maps as entry, dates as ISO-8601, and escapes text', () => {
    expect(toXml('D', [{ T: new Date(0), E: new Map([['p50', 1]]), L: 'a<b' }])).toBe(
      '<D><member><T>1970-01-01T00:00:00.000Z</T><E><entry><key>p50</key><value>1</value></entry></E><L>a&#60;b</L></member></D>',
    );
  });
});

describe('FunctionName', () => {
  it('is read from a name, a full ARN (with or without qualifier) or a partial ARN', () => {
    expect(functionNameOf('f')).toBe('f');
    expect(functionNameOf('arn:aws:lambda:us-east-1:000000000000:function:f')).toBe('f');
    expect(functionNameOf('arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST')).toBe('f');
    expect(functionNameOf('000000000000:function:f')).toBe('f');
  });
});
