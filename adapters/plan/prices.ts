/**
 * The list prices capacity planning uses: AWS us-east-1, on demand, in USD, each with where it comes from and when
 * it was read. Prices change: `streamfeatures plan` prints every one it uses beside its answer, so a reader can
 * check them against the pricing pages. A month is AWS's billing month of 730 hours.
 */
export interface Price {
  readonly usd: number;
  /** What one unit is. */
  readonly per: string;
  readonly source: string;
}

const CHECKED = 'list price as of 2026-12-06, check the pricing page';

export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

export const PRICES = {
  kinesisShardHour: {
    usd: 0.015,
    per: 'shard-hour (provisioned)',
    source: `aws.amazon.com/kinesis/data-streams/pricing, ${CHECKED}`,
  },
  kinesisPutPayloadUnit: {
    usd: 0.014 / 1e6,
    per: 'PUT payload unit (25 KB of a record, provisioned)',
    source: `aws.amazon.com/kinesis/data-streams/pricing, ${CHECKED}`,
  },
  kinesisFanOutConsumerShardHour: {
    usd: 0.015,
    per: 'consumer-shard-hour (enhanced fan-out)',
    source: `aws.amazon.com/kinesis/data-streams/pricing, ${CHECKED}`,
  },
  kinesisFanOutGb: {
    usd: 0.013,
    per: 'GB retrieved (enhanced fan-out)',
    source: `aws.amazon.com/kinesis/data-streams/pricing, ${CHECKED}`,
  },
  kinesisOnDemandStreamHour: {
    usd: 0.04,
    per: 'stream-hour (on-demand)',
    source: `aws.amazon.com/kinesis/data-streams/pricing, ${CHECKED}`,
  },
  kinesisOnDemandGbIn: {
    usd: 0.08,
    per: 'GB written (on-demand, each record rounded up to 1 KB)',
    source: `aws.amazon.com/kinesis/data-streams/pricing, ${CHECKED}`,
  },
  kinesisOnDemandGbOut: {
    usd: 0.04,
    per: 'GB read (on-demand, each record rounded up to 1 KB)',
    source: `aws.amazon.com/kinesis/data-streams/pricing, ${CHECKED}`,
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    per: 'GB-second (Arm, first 7.5 billion GB-s a month)',
    source: `aws.amazon.com/lambda/pricing, ${CHECKED}`,
  },
  lambdaRequest: {
    usd: 0.2 / 1e6,
    per: 'request',
    source: `aws.amazon.com/lambda/pricing, ${CHECKED}`,
  },
  dynamoWriteRequestUnit: {
    usd: 0.625 / 1e6,
    per: 'write request unit (on-demand, since the November 2024 price cut)',
    source: `aws.amazon.com/dynamodb/pricing/on-demand, ${CHECKED}`,
  },
  dynamoReadRequestUnit: {
    usd: 0.125 / 1e6,
    per: 'read request unit (on-demand, since the November 2024 price cut)',
    source: `aws.amazon.com/dynamodb/pricing/on-demand, ${CHECKED}`,
  },
  dynamoWcuHour: {
    usd: 0.00065,
    per: 'WCU-hour (provisioned)',
    source: `aws.amazon.com/dynamodb/pricing/provisioned, ${CHECKED}`,
  },
  dynamoRcuHour: {
    usd: 0.00013,
    per: 'RCU-hour (provisioned)',
    source: `aws.amazon.com/dynamodb/pricing/provisioned, ${CHECKED}`,
  },
  dynamoStorageGbMonth: {
    usd: 0.25,
    per: 'GB-month stored (Standard table class, past the first 25 GB)',
    source: `aws.amazon.com/dynamodb/pricing, ${CHECKED}`,
  },
  firehoseGbIngested: {
    usd: 0.029,
    per: 'GB ingested (Direct PUT, each record rounded up to 5 KB, first 500 TB a month)',
    source: `aws.amazon.com/firehose/pricing, ${CHECKED}`,
  },
  firehoseFormatConversionGb: {
    usd: 0.018,
    per: 'GB converted to Parquet',
    source: `aws.amazon.com/firehose/pricing, ${CHECKED}`,
  },
  s3StandardGbMonth: {
    usd: 0.023,
    per: 'GB-month (S3 Standard, first 50 TB)',
    source: `aws.amazon.com/s3/pricing, ${CHECKED}`,
  },
  httpApiRequest: {
    usd: 1.0 / 1e6,
    per: 'request (HTTP API, first 300 million a month; 0.90 per million after)',
    source: `aws.amazon.com/api-gateway/pricing, ${CHECKED}`,
  },
} as const satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;
