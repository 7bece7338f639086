import { type Command, parseFlags, usageError } from './flags.js';

/** `streamfeatures plan`: its usage and flags; the work is in plan-command.ts, loaded when it runs. */
export function planCommandEntry(): Command {
  const usage = `usage: streamfeatures plan --spec S --events-per-second N [--entities card=1e6,merchant=5e4]
                            [--window-days D] [--scoring-rps R] [--figures F] [--region us-east-1] [--json]
                            [--record-bytes B] [--hot-key-share X] [--hot-item-bytes B]
                            [--writer-events-per-second W] [--dynamodb-latency-ms L] [--lambda-cpu-factor F]

What a deployment needs (Kinesis shards, Lambda concurrency and GB-seconds, DynamoDB units and storage, the
hottest keys against the 1,000 write units/s per key, Firehose records and GB, S3, API requests) and what it costs a
month, from the per-event figures the bench measured. Every line shows its formula; every price and assumption is
printed. No AWS calls.

  --events-per-second N   events the stream takes a second
  --entities e=n,...      live keys per entity (default: scaled from one given, else the bench's table)
  --window-days D         days the raw archive is kept in S3 (default 365)
  --scoring-rps R         scoring requests a second (default 0)
  --figures F             the steady-state figures (default bench/results/steady-state.json, from npm run bench)
  --region R              only us-east-1: the prices held are its list prices
  --record-bytes B        bytes an event takes (default: estimated from the spec's event fields)
  --hot-key-share X       the hottest shared key's share of events (default: top of the fraud generator's Zipf)
  --hot-item-bytes B      that key's item size (default: the largest the bench measured)
  --writer-events-per-second W  events one shard's writer applies a second (default: the writer's model: the
                          bench's CPU a record and DynamoDB round trips a batch, at the latency and factor below)
  --dynamodb-latency-ms L DynamoDB's latency a call on AWS, for the writer's model (default 5: AWS's
                          "single-digit milliseconds")
  --lambda-cpu-factor F   Lambda's CPU time per CPU ms of the bench machine, for the writer's model (default 1)
  --json                  the plan as JSON
`;
  return {
    usage,
    summary: 'what a deployment needs and costs a month at a given event rate',
    run: async (args, io) => {
      const { values } = parseFlags(usage, args, {
        spec: { type: 'string' },
        'events-per-second': { type: 'string' },
        entities: { type: 'string' },
        'window-days': { type: 'string' },
        'scoring-rps': { type: 'string' },
        figures: { type: 'string' },
        region: { type: 'string' },
        'record-bytes': { type: 'string' },
        'hot-key-share': { type: 'string' },
        'hot-item-bytes': { type: 'string' },
        'writer-events-per-second': { type: 'string' },
        'dynamodb-latency-ms': { type: 'string' },
        'lambda-cpu-factor': { type: 'string' },
        json: { type: 'boolean' },
      });
      const { spec } = values;
      const eventsPerSecond = values['events-per-second'];
      if (!spec || !eventsPerSecond) throw usageError('plan needs --spec and --events-per-second', usage);
      const { planCommand } = await import('./plan-command.js');
      return planCommand(
        {
          spec,
          eventsPerSecond,
          entities: values.entities,
          windowDays: values['window-days'],
          scoringRps: values['scoring-rps'],
          figures: values.figures,
          region: values.region,
          recordBytes: values['record-bytes'],
          hotKeyShare: values['hot-key-share'],
          hotItemBytes: values['hot-item-bytes'],
          writerEventsPerSecond: values['writer-events-per-second'],
          dynamodbLatencyMs: values['dynamodb-latency-ms'],
          lambdaCpuFactor: values['lambda-cpu-factor'],
          json: values.json === true,
        },
        io,
      );
    },
  };
}
