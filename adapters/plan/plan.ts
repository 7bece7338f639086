/**
 * Capacity planning: what a deployment needs and costs a month at a given event rate, from the per-event figures
 * the bench measured (figures.ts), the deployment's defaults (stated once, below) and list prices (prices.ts).
 * Pure arithmetic, no AWS calls: every line carries the formula and inputs that produced it, so a reader can redo it.
 */
import { WRITER_SLOTS } from '../online-store/writer-slots.js';
import type { SteadyStateFigures } from './figures.js';
import { HOURS_PER_MONTH, PRICES, type PriceName, SECONDS_PER_MONTH } from './prices.js';

/** The deployment's defaults the plan assumes, as the CDK constructs set them. */
export const DEPLOYMENT = {
  /** FeatureComputer's default memorySize (MB) for the features function. */
  featuresMemoryMb: 1024,
  /** StreamfeaturesFunction's default memorySize (MB), which the scoring function keeps. */
  scoringMemoryMb: 512,
  /** FeatureComputer's DEFAULT_BATCH_SIZE. */
  batchSize: 500,
  /** The event-source mapping's default maximum batching window, seconds. */
  batchingWindowSeconds: 1,
  /** The only parallelization factor the features function allows (one writer per shard). */
  parallelizationFactor: 1,
  /** EventStream's default retention, hours: no extended-retention charge up to 24. */
  streamRetentionHours: 24,
  /** Items per key of an entity several shards write (the online store's writer slots). */
  writerSlots: WRITER_SLOTS,
} as const;

/** AWS limits the plan checks against. */
export const LIMITS = {
  shardWriteBytesPerSecond: 1024 * 1024,
  shardWriteRecordsPerSecond: 1000,
  shardReadBytesPerSecond: 2 * 1024 * 1024,
  partitionKeyWriteUnitsPerSecond: 1000,
  firehoseMaxRecordBytes: 1000 * 1024,
  firehoseBillingIncrementBytes: 5 * 1024,
  /** Firehose Direct PUT's default throughput quota in us-east-1 (raised on request). */
  firehoseBytesPerSecondQuota: 5 * 1024 * 1024,
  kinesisPutPayloadUnitBytes: 25 * 1024,
  kinesisOnDemandRoundingBytes: 1024,
  dynamoWriteUnitBytes: 1024,
  dynamoReadUnitBytes: 4096,
} as const;

/** Assumptions without a measured figure behind them; each is printed with the answer. */
export const ASSUMPTIONS = {
  /** Share of a shard's write limits planned for, leaving headroom for bursts and uneven partition keys. */
  shardUtilization: 0.8,
  /** Provisioned DynamoDB capacity is set at this utilization (the auto-scaling target). */
  provisionedUtilization: 0.7,
  /** Bytes per value when a record's size is estimated from the spec's event fields. */
  bytesPerValue: 20,
  /** Bytes of an id-ledger item (key, expiry), plus DynamoDB's 100-byte per-item storage overhead. */
  ledgerItemBytes: 160,
  /** DynamoDB's per-item storage overhead, added to each measured item size. */
  itemOverheadBytes: 100,
  /** The scoring function's mean duration per request, ms (one BatchGetItem and a small model). */
  scoringDurationMs: 20,
  /** Parquet (compressed) bytes per JSON byte in the archive. */
  parquetBytesPerJsonByte: 0.25,
  /** The fraud generator's merchant popularity: Zipf with this exponent (examples/fraud traffic defaults). */
  zipfExponent: 1.1,
} as const;

export interface PlanEntity {
  readonly name: string;
  readonly keyFields: readonly string[];
}

export interface PlanInput {
  /** The spec's entities; the first is the stream's partition entity (the ingest function partitions by it). */
  readonly entities: readonly PlanEntity[];
  /** The event fields the spec reads (time, id, keys, values), for estimating a record's size. */
  readonly eventFields: readonly string[];
  /** How long the id ledger keeps an event's id, ms; 0 when the spec has no id field or scopes its dedupe. */
  readonly dedupeHorizonMs: number;
  readonly figures: SteadyStateFigures;
  readonly eventsPerSecond: number;
  /** Keys of each entity live in the store; others are derived (see entityCounts). */
  readonly entityCounts?: Readonly<Record<string, number>>;
  readonly recordBytes?: number;
  readonly scoringRps?: number;
  /** Days the raw archive is kept in S3. */
  readonly archiveDays?: number;
  /** The hottest key's share of a shared entity's traffic; default from the Zipf popularity. */
  readonly hotKeyShare?: number;
  /** The hottest key's item size, bytes; default the largest item of its entity the bench measured. */
  readonly hotItemBytes?: number;
  /** Events one shard's writer applies a second; default the bench's measured figure. */
  readonly writerEventsPerSecond?: number;
}

export interface PlanLine {
  readonly section: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly formula: string;
}

export interface CostLine {
  readonly section: string;
  readonly name: string;
  readonly usdPerMonth: number;
  readonly formula: string;
  /** Which total it counts in: both, or only the one with that DynamoDB capacity mode; 'alternative' in neither. */
  readonly counts: 'both' | 'on-demand' | 'provisioned' | 'alternative';
}

export interface Plan {
  readonly needs: readonly PlanLine[];
  readonly costs: readonly CostLine[];
  readonly totals: { readonly onDemandUsdPerMonth: number; readonly provisionedUsdPerMonth: number };
  readonly assumptions: readonly string[];
  readonly warnings: readonly string[];
  readonly prices: readonly PriceName[];
}

export const DEFAULT_ARCHIVE_DAYS = 365;

/** The most popular item's share under Zipf(n, s): 1 / sum over k = 1..n of k^-s. */
export function zipfTopShare(n: number, s: number): number {
  let sum = 0;
  for (let k = 1; k <= n; k++) sum += k ** -s;
  return 1 / sum;
}

/** A JSON record holding these fields, each value `bytesPerValue` long: {"a":v,"b":v}. */
export function estimatedRecordBytes(fields: readonly string[], bytesPerValue: number): number {
  if (fields.length === 0) return 2;
  const members = fields.reduce((sum, field) => sum + field.length + 3 + bytesPerValue, 0);
  return 2 + members + (fields.length - 1);
}

/**
 * An entity several shards write: its key does not hold every key field of the stream's partition entity (as the
 * online store's sharedEntities decides).
 */
export function isShared(entity: PlanEntity, partitionEntity: PlanEntity): boolean {
  return !partitionEntity.keyFields.every((field) => entity.keyFields.includes(field));
}

const fmt = (n: number, digits = 4) =>
  Number.isInteger(n) ? n.toLocaleString('en-US') : Number(n.toPrecision(digits)).toLocaleString('en-US');

/** A price as a reader would write it: per million units when a unit costs under a thousandth of a cent. */
export function priceText(name: PriceName): string {
  const { usd, per } = PRICES[name];
  return usd < 1e-5 ? `$${Number((usd * 1e6).toPrecision(6))} per 1M x ${per}` : `$${usd} per ${per}`;
}

export function computePlan(input: PlanInput): Plan {
  const f = input.figures;
  const N = input.eventsPerSecond;
  if (!(N > 0)) throw new RangeError(`events per second must be positive (got ${N})`);
  const [partition] = input.entities;
  if (!partition) throw new RangeError('the spec has no entities');
  const needs: PlanLine[] = [];
  const costs: CostLine[] = [];
  const assumptions: string[] = [];
  const warnings: string[] = [];
  const prices = new Set<PriceName>();
  const need = (section: string, name: string, value: number, unit: string, formula: string) => {
    needs.push({ section, name, value, unit, formula });
    return value;
  };
  const cost = (
    section: string,
    name: string,
    quantity: number,
    price: PriceName,
    counts: CostLine['counts'],
    quantityFormula: string,
  ) => {
    prices.add(price);
    const usd = quantity * PRICES[price].usd;
    costs.push({
      section,
      name,
      usdPerMonth: usd,
      counts,
      formula: `${quantityFormula}: ${fmt(quantity, 4)} x ${priceText(price)}`,
    });
  };

  // Records.
  const recordBytes = input.recordBytes ?? estimatedRecordBytes(input.eventFields, ASSUMPTIONS.bytesPerValue);
  assumptions.push(
    input.recordBytes === undefined
      ? `record size ${recordBytes} bytes, estimated from the spec's ${input.eventFields.length} event fields at ` +
          `${ASSUMPTIONS.bytesPerValue} bytes a value (events usually carry more: pass --record-bytes)`
      : `record size ${recordBytes} bytes (--record-bytes)`,
  );

  // Kinesis.
  const writerRate = input.writerEventsPerSecond ?? f.eventsPerSecondPerShard;
  assumptions.push(
    input.writerEventsPerSecond === undefined
      ? `one shard's writer applies ${fmt(writerRate)} events/s: the bench's measured figure (DynamoDB Local on the ` +
          `bench machine, ${f.world.shards} shards, batches of ${f.world.batchSize}); Lambda on AWS differs: measure ` +
          'there and pass --writer-events-per-second'
      : `one shard's writer applies ${fmt(writerRate)} events/s (--writer-events-per-second)`,
  );
  const u = ASSUMPTIONS.shardUtilization;
  assumptions.push(
    `stream retention ${DEPLOYMENT.streamRetentionHours} h (the default): no extended-retention charge; one consumer, no enhanced fan-out`,
  );
  assumptions.push(
    `shards planned at ${u * 100}% of their write limits (headroom for bursts and uneven keys)`,
  );
  const bytesIn = N * recordBytes;
  const byBytes = need(
    'Kinesis',
    'shards for bytes written',
    Math.ceil(bytesIn / (LIMITS.shardWriteBytesPerSecond * u)),
    'shards',
    `ceil(${fmt(N)} events/s x ${recordBytes} B / (1 MiB/s x ${u}))`,
  );
  const byRecords = need(
    'Kinesis',
    'shards for records written',
    Math.ceil(N / (LIMITS.shardWriteRecordsPerSecond * u)),
    'shards',
    `ceil(${fmt(N)} records/s / (1,000 records/s x ${u}))`,
  );
  const byWriter = need(
    'Kinesis',
    'shards for the features writer',
    Math.ceil(N / (writerRate * u)),
    'shards',
    `ceil(${fmt(N)} events/s / (${fmt(writerRate)} events/s per writer x ${u})); parallelization factor ${DEPLOYMENT.parallelizationFactor}`,
  );
  const shards = need(
    'Kinesis',
    'shards (provisioned)',
    Math.max(byBytes, byRecords, byWriter),
    'shards',
    'the largest of the three',
  );
  need(
    'Kinesis',
    'read per shard (one polling consumer: the features function)',
    bytesIn / shards / LIMITS.shardReadBytesPerSecond,
    'of 2 MiB/s',
    `${fmt(N)} x ${recordBytes} B / ${shards} shards / 2 MiB/s; enhanced fan-out gives each consumer its own 2 MiB/s`,
  );
  cost(
    'Kinesis',
    'shard-hours',
    shards * HOURS_PER_MONTH,
    'kinesisShardHour',
    'both',
    `${shards} shards x 730 h`,
  );
  const payloadUnits = Math.ceil(recordBytes / LIMITS.kinesisPutPayloadUnitBytes);
  cost(
    'Kinesis',
    'PUT payload units',
    N * payloadUnits * SECONDS_PER_MONTH,
    'kinesisPutPayloadUnit',
    'both',
    `${fmt(N)} records/s x ${payloadUnits} unit x ${fmt(SECONDS_PER_MONTH)} s`,
  );
  const onDemandGb =
    (N *
      Math.ceil(recordBytes / LIMITS.kinesisOnDemandRoundingBytes) *
      LIMITS.kinesisOnDemandRoundingBytes *
      SECONDS_PER_MONTH) /
    2 ** 30;
  cost(
    'Kinesis',
    'on-demand instead: stream-hours',
    HOURS_PER_MONTH,
    'kinesisOnDemandStreamHour',
    'alternative',
    '730 h',
  );
  cost(
    'Kinesis',
    'on-demand instead: GB written',
    onDemandGb,
    'kinesisOnDemandGbIn',
    'alternative',
    `${fmt(N)} records/s x ${recordBytes} B rounded up to 1 KB x ${fmt(SECONDS_PER_MONTH)} s / 2^30`,
  );
  cost(
    'Kinesis',
    'on-demand instead: GB read',
    onDemandGb,
    'kinesisOnDemandGbOut',
    'alternative',
    'as written, one consumer',
  );

  // Features Lambda.
  const perShard = N / shards;
  const invocationsPerShard = Math.max(1 / DEPLOYMENT.batchingWindowSeconds, perShard / DEPLOYMENT.batchSize);
  const concurrency = need(
    'Lambda',
    'features function concurrency',
    shards * DEPLOYMENT.parallelizationFactor,
    'instances',
    `${shards} shards x parallelization factor ${DEPLOYMENT.parallelizationFactor}`,
  );
  const invocations = need(
    'Lambda',
    'features function invocations',
    shards * invocationsPerShard,
    'per second',
    `${shards} shards x max(1 / ${DEPLOYMENT.batchingWindowSeconds} s window, ${fmt(perShard)} events/s per shard / batch of ${DEPLOYMENT.batchSize})`,
  );
  const busy = Math.min(1, perShard / writerRate);
  const gbSeconds = need(
    'Lambda',
    'features function GB-seconds',
    concurrency * busy * (DEPLOYMENT.featuresMemoryMb / 1024) * SECONDS_PER_MONTH,
    'per month',
    `${concurrency} instances x busy ${fmt(busy)} (${fmt(perShard)} / ${fmt(writerRate)} events/s) x ${DEPLOYMENT.featuresMemoryMb / 1024} GB x ${fmt(SECONDS_PER_MONTH)} s`,
  );
  cost('Lambda', 'features GB-seconds', gbSeconds, 'lambdaArmGbSecond', 'both', 'as above');
  cost(
    'Lambda',
    'features requests',
    invocations * SECONDS_PER_MONTH,
    'lambdaRequest',
    'both',
    `${fmt(invocations)}/s x ${fmt(SECONDS_PER_MONTH)} s`,
  );
  const R = input.scoringRps ?? 0;
  if (R > 0) {
    const d = ASSUMPTIONS.scoringDurationMs / 1000;
    assumptions.push(`scoring function: ${ASSUMPTIONS.scoringDurationMs} ms a request (not measured on AWS)`);
    need(
      'Lambda',
      'scoring function concurrency',
      Math.ceil(R * d),
      'instances',
      `ceil(${fmt(R)} requests/s x ${d} s)`,
    );
    const scoringGbSeconds = R * d * (DEPLOYMENT.scoringMemoryMb / 1024) * SECONDS_PER_MONTH;
    cost(
      'Lambda',
      'scoring GB-seconds',
      scoringGbSeconds,
      'lambdaArmGbSecond',
      'both',
      `${fmt(R)}/s x ${d} s x ${DEPLOYMENT.scoringMemoryMb / 1024} GB x ${fmt(SECONDS_PER_MONTH)} s`,
    );
    cost(
      'Lambda',
      'scoring requests',
      R * SECONDS_PER_MONTH,
      'lambdaRequest',
      'both',
      `${fmt(R)}/s x ${fmt(SECONDS_PER_MONTH)} s`,
    );
    cost(
      'API Gateway',
      'HTTP API requests',
      R * SECONDS_PER_MONTH,
      'httpApiRequest',
      'both',
      `${fmt(R)}/s x ${fmt(SECONDS_PER_MONTH)} s`,
    );
  }

  // DynamoDB: units per event as measured, by cause.
  const w = f.writeUnitsPerEvent;
  const r = f.readUnitsPerEvent;
  const sizeOf = (entity: string) => f.itemBytes[entity];
  for (const [cause, units] of [
    ['tile puts', w.tiles],
    ['id ledger', w.ledger],
    ['refused conditional puts', w.refused],
  ] as const) {
    need(
      'DynamoDB',
      `write units: ${cause}`,
      N * units,
      'per second',
      `${fmt(N)} events/s x ${fmt(units, 4)} units/event (measured)`,
    );
  }
  const writeUnits = need(
    'DynamoDB',
    'write units',
    N * w.total,
    'per second',
    `${fmt(N)} x ${fmt(w.total, 4)} (measured total)`,
  );
  const ingestReads = need(
    'DynamoDB',
    'read units: features function',
    N * r.total,
    'per second',
    `${fmt(N)} x ${fmt(r.total, 4)} (measured: prefetch ${fmt(r.prefetch, 3)}, after refused puts ${fmt(r.afterConflict, 3)})`,
  );
  let perVector = 0;
  const vectorParts: string[] = [];
  for (const entity of input.entities) {
    const keys = isShared(entity, partition) ? DEPLOYMENT.writerSlots + 1 : 1;
    const units =
      keys * 0.5 * Math.max(1, Math.ceil((sizeOf(entity.name)?.p50 ?? 0) / LIMITS.dynamoReadUnitBytes));
    perVector += units;
    vectorParts.push(`${entity.name} ${keys} key${keys > 1 ? 's' : ''}`);
  }
  const scoringReads = need(
    'DynamoDB',
    'read units: scoring',
    R * perVector,
    'per second',
    `${fmt(R)} requests/s x ${perVector} units (eventually consistent, items at their p50 size: ${vectorParts.join(', ')})`,
  );
  const readUnits = ingestReads + scoringReads;
  cost(
    'DynamoDB',
    'on-demand writes',
    writeUnits * SECONDS_PER_MONTH,
    'dynamoWriteRequestUnit',
    'on-demand',
    `${fmt(writeUnits)}/s x ${fmt(SECONDS_PER_MONTH)} s`,
  );
  cost(
    'DynamoDB',
    'on-demand reads',
    readUnits * SECONDS_PER_MONTH,
    'dynamoReadRequestUnit',
    'on-demand',
    `${fmt(readUnits)}/s x ${fmt(SECONDS_PER_MONTH)} s`,
  );
  const pu = ASSUMPTIONS.provisionedUtilization;
  const wcu = need(
    'DynamoDB',
    'provisioned WCU',
    Math.ceil(writeUnits / pu),
    'WCU',
    `ceil(${fmt(writeUnits)} / ${pu} target utilization)`,
  );
  const rcu = need(
    'DynamoDB',
    'provisioned RCU',
    Math.ceil(readUnits / pu),
    'RCU',
    `ceil(${fmt(readUnits)} / ${pu})`,
  );
  cost(
    'DynamoDB',
    'provisioned WCU',
    wcu * HOURS_PER_MONTH,
    'dynamoWcuHour',
    'provisioned',
    `${fmt(wcu)} WCU x 730 h`,
  );
  cost(
    'DynamoDB',
    'provisioned RCU',
    rcu * HOURS_PER_MONTH,
    'dynamoRcuHour',
    'provisioned',
    `${fmt(rcu)} RCU x 730 h`,
  );
  assumptions.push(`provisioned capacity at ${pu * 100}% utilization, steady traffic (no peaks)`);

  // DynamoDB storage: live keys x measured item sizes, and the id ledger.
  const counts = entityCounts(input, assumptions);
  let storageBytes = 0;
  const storageParts: string[] = [];
  for (const entity of input.entities) {
    const sizes = sizeOf(entity.name);
    const count = counts[entity.name] ?? 0;
    const itemBytes = (sizes?.p50 ?? 0) + ASSUMPTIONS.itemOverheadBytes;
    const items = isShared(entity, partition) ? count * Math.min(DEPLOYMENT.writerSlots, shards) : count;
    storageBytes += items * itemBytes;
    storageParts.push(`${entity.name} ${fmt(items)} items x ${itemBytes} B`);
  }
  const ledgerItems = N * (input.dedupeHorizonMs / 1000);
  if (ledgerItems > 0) {
    storageBytes += ledgerItems * ASSUMPTIONS.ledgerItemBytes;
    storageParts.push(`id ledger ${fmt(ledgerItems)} items x ${ASSUMPTIONS.ledgerItemBytes} B`);
  }
  assumptions.push(
    `stored items at the measured p50 size plus ${ASSUMPTIONS.itemOverheadBytes} B overhead; a shared entity's key is ` +
      `${DEPLOYMENT.writerSlots} writer-slot items; id-ledger items ${ASSUMPTIONS.ledgerItemBytes} B each, kept for the dedupe horizon`,
  );
  const storageGb = need('DynamoDB', 'storage', storageBytes / 2 ** 30, 'GB', storageParts.join(' + '));
  cost('DynamoDB', 'storage', storageGb, 'dynamoStorageGbMonth', 'both', `${fmt(storageGb)} GB`);

  // The per-partition-key write ceiling.
  hotKeys(input, { shards, perShard, invocationsPerShard, counts, need, assumptions, warnings });

  // Firehose and S3: the features function packs its batch's lines into records of up to 1,000 KiB.
  const batchEvents = perShard / invocationsPerShard;
  const batchBytes = batchEvents * (recordBytes + 1);
  const recordsPerBatch = Math.max(1, Math.ceil(batchBytes / LIMITS.firehoseMaxRecordBytes));
  const firehoseRecords = need(
    'Firehose',
    'records (packed)',
    invocations * recordsPerBatch,
    'per second',
    `${fmt(invocations)} invocations/s x ceil(${fmt(batchEvents)} events x ${recordBytes + 1} B / 1,000 KiB)`,
  );
  const packedBytes = batchBytes / recordsPerBatch;
  const billedRecordBytes =
    Math.ceil(packedBytes / LIMITS.firehoseBillingIncrementBytes) * LIMITS.firehoseBillingIncrementBytes;
  const firehoseGb = need(
    'Firehose',
    'GB ingested (billed)',
    (firehoseRecords * billedRecordBytes * SECONDS_PER_MONTH) / 2 ** 30,
    'per month',
    `${fmt(firehoseRecords)} records/s x ${fmt(billedRecordBytes)} B (rounded up to 5 KB) x ${fmt(SECONDS_PER_MONTH)} s / 2^30`,
  );
  const firehoseRate = N * (recordBytes + 1);
  need(
    'Firehose',
    'throughput',
    firehoseRate / 2 ** 20,
    'MiB/s',
    `${fmt(N)} x ${recordBytes + 1} B; the Direct PUT default quota in us-east-1 is 5 MiB/s (raise it on request)`,
  );
  if (firehoseRate > LIMITS.firehoseBytesPerSecondQuota)
    warnings.push(
      `Firehose takes ${fmt(firehoseRate / 2 ** 20)} MiB/s, above its default 5 MiB/s quota: ask for a raise first`,
    );
  cost('Firehose', 'ingestion', firehoseGb, 'firehoseGbIngested', 'both', 'GB ingested');
  cost(
    'Firehose',
    'format conversion to Parquet',
    firehoseGb,
    'firehoseFormatConversionGb',
    'both',
    'GB ingested',
  );
  const archiveDays = input.archiveDays ?? DEFAULT_ARCHIVE_DAYS;
  const s3GbPerMonth = need(
    'S3',
    'archive growth',
    ((N * (recordBytes + 1) * SECONDS_PER_MONTH) / 2 ** 30) * ASSUMPTIONS.parquetBytesPerJsonByte,
    'GB per month',
    `${fmt(N)} x ${recordBytes + 1} B x ${fmt(SECONDS_PER_MONTH)} s / 2^30 x ${ASSUMPTIONS.parquetBytesPerJsonByte} Parquet/JSON`,
  );
  const s3Stored = need(
    'S3',
    `archive stored after ${archiveDays} days`,
    (s3GbPerMonth * archiveDays * 24) / HOURS_PER_MONTH,
    'GB',
    `${fmt(s3GbPerMonth)} GB/month x ${archiveDays} days`,
  );
  assumptions.push(
    `Parquet is ${ASSUMPTIONS.parquetBytesPerJsonByte} of the JSON bytes; the archive is kept ${archiveDays} days ` +
      '(--window-days); S3 request charges (a few PUTs a minute per Firehose buffer) left out',
  );
  cost(
    'S3',
    `archive storage after ${archiveDays} days`,
    s3Stored,
    's3StandardGbMonth',
    'both',
    `${fmt(s3Stored)} GB`,
  );

  const total = (mode: 'on-demand' | 'provisioned') =>
    costs.filter((c) => c.counts === 'both' || c.counts === mode).reduce((sum, c) => sum + c.usdPerMonth, 0);
  return {
    needs,
    costs,
    totals: { onDemandUsdPerMonth: total('on-demand'), provisionedUsdPerMonth: total('provisioned') },
    assumptions,
    warnings,
    prices: [...prices],
  };
}

/**
 * Live keys per entity: as given; else scaled from a given entity by the ratio of their item counts in the bench's
 * table (card_merchant pairs per card, say); else the bench's own item count.
 */
function entityCounts(input: PlanInput, assumptions: string[]): Record<string, number> {
  const given = input.entityCounts ?? {};
  const items = (name: string) => input.figures.itemBytes[name]?.items;
  const reference = Object.keys(given).find((name) => (items(name) ?? 0) > 0);
  const counts: Record<string, number> = {};
  for (const { name } of input.entities) {
    const count = given[name];
    if (count !== undefined) {
      counts[name] = count;
      continue;
    }
    const own = items(name) ?? 0;
    if (reference !== undefined) {
      const ref = given[reference] as number;
      counts[name] = Math.round((own / (items(reference) as number)) * ref);
      assumptions.push(
        `${name}: ${fmt(counts[name])} live keys, ${fmt(own / (items(reference) as number))} per ${reference} key as in the bench's table`,
      );
    } else {
      counts[name] = own;
      assumptions.push(`${name}: ${fmt(own)} live keys, as many as the bench's table held (pass --entities)`);
    }
  }
  return counts;
}

interface HotKeyContext {
  readonly shards: number;
  readonly perShard: number;
  readonly invocationsPerShard: number;
  readonly counts: Record<string, number>;
  readonly need: (section: string, name: string, value: number, unit: string, formula: string) => number;
  readonly assumptions: string[];
  readonly warnings: string[];
}

/**
 * The hottest key of each entity against DynamoDB's 1,000 write units a second per partition key. The store writes
 * an item at most once per batch, so a key's items take at most one put per batch of each shard that writes them:
 * a partition-entity key lives in one shard; a shared entity's key in one item per writer slot, which the shards of
 * that slot share (and race for, paid in refused conditional puts, when shards outnumber slots).
 */
function hotKeys(input: PlanInput, c: HotKeyContext): void {
  const [partition] = input.entities as [PlanEntity];
  const batchEvents = c.perShard / c.invocationsPerShard;
  for (const entity of input.entities) {
    const shared = isShared(entity, partition);
    const sizes = input.figures.itemBytes[entity.name];
    const itemBytes = (shared ? input.hotItemBytes : undefined) ?? sizes?.max ?? 0;
    const unitsPerPut = Math.max(1, Math.ceil(itemBytes / LIMITS.dynamoWriteUnitBytes));
    if (!shared) {
      c.need(
        'DynamoDB',
        `hottest ${entity.name} key: write units`,
        c.invocationsPerShard * unitsPerPut,
        'per second (limit 1,000)',
        `one shard writes it: <= ${fmt(c.invocationsPerShard)} puts/s x ${unitsPerPut} units (largest measured item ${fmt(itemBytes)} B)`,
      );
      continue;
    }
    const count = c.counts[entity.name] ?? 0;
    const share = input.hotKeyShare ?? zipfTopShare(Math.max(1, count), ASSUMPTIONS.zipfExponent);
    c.assumptions.push(
      input.hotKeyShare === undefined
        ? `hottest ${entity.name}: ${fmt(share * 100)}% of events, the top of Zipf(${fmt(count)}, ${ASSUMPTIONS.zipfExponent}) ` +
            `(the fraud generator's merchant popularity; pass --hot-key-share)`
        : `hottest ${entity.name}: ${fmt(share * 100)}% of events (--hot-key-share)`,
    );
    c.assumptions.push(
      input.hotItemBytes === undefined
        ? `hottest ${entity.name} item: ${fmt(itemBytes)} B, the largest the bench measured (grows with traffic: pass --hot-item-bytes)`
        : `hottest ${entity.name} item: ${fmt(itemBytes)} B (--hot-item-bytes)`,
    );
    const slots = Math.min(DEPLOYMENT.writerSlots, c.shards);
    const shardsPerSlot = Math.ceil(c.shards / slots);
    const inBatch = 1 - (1 - share) ** batchEvents;
    const puts = shardsPerSlot * c.invocationsPerShard * inBatch;
    const units = c.need(
      'DynamoDB',
      `hottest ${entity.name} key: write units per slot item`,
      puts * unitsPerPut,
      'per second (limit 1,000)',
      `${shardsPerSlot} shards per slot (${c.shards} shards / ${slots} slots) x ${fmt(c.invocationsPerShard)} batches/s x ` +
        `${fmt(inBatch)} (in a batch of ${fmt(batchEvents)}) x ${unitsPerPut} units (${fmt(itemBytes)} B)`,
    );
    if (units > LIMITS.partitionKeyWriteUnitsPerSecond)
      c.warnings.push(
        `the hottest ${entity.name} key's slot items need ${fmt(units)} write units/s, above DynamoDB's 1,000 per key: ` +
          'writes to it are throttled; more writer slots (or smaller items) are needed at this rate',
      );
    if (shardsPerSlot > 1)
      c.warnings.push(
        `${shardsPerSlot} shards share each ${entity.name} writer slot: their puts to a hot key race (refused ` +
          `conditional puts, not in the bench's ${input.figures.world.shards}-shard figure)`,
      );
  }
}
