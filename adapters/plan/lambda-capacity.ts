/** The two functions: the features function (one instance a shard, batches by size or window) and scoring. */
import { ASSUMPTIONS, DEPLOYMENT } from './assumptions.js';
import type { PlanContext } from './plan-inputs.js';
import { fmt } from './plan-sheet.js';
import { SECONDS_PER_MONTH } from './prices.js';
import type { WriterRate } from './writer-rate.js';

export interface FeaturesFunctionLoad {
  /** Events a second each shard carries. */
  readonly perShard: number;
  /** Batches a second each shard's instance is invoked with. */
  readonly invocationsPerShard: number;
  /** Invocations a second over all shards. */
  readonly invocations: number;
}

export function planFeaturesFunction(
  c: PlanContext,
  shards: number,
  writer: WriterRate,
): FeaturesFunctionLoad {
  const writerRate = writer.eventsPerSecond;
  const { sheet } = c;
  const perShard = c.eventsPerSecond / shards;
  const invocationsPerShard = Math.max(1 / DEPLOYMENT.batchingWindowSeconds, perShard / DEPLOYMENT.batchSize);
  const concurrency = sheet.need(
    'Lambda',
    'features function concurrency',
    shards * DEPLOYMENT.parallelizationFactor,
    'instances',
    `${shards} shards x parallelization factor ${DEPLOYMENT.parallelizationFactor}`,
  );
  const invocations = sheet.need(
    'Lambda',
    'features function invocations',
    shards * invocationsPerShard,
    'per second',
    `${shards} shards x max(1 / ${DEPLOYMENT.batchingWindowSeconds} s window, ${fmt(perShard)} events/s per shard / batch of ${DEPLOYMENT.batchSize})`,
  );
  const busy = Math.min(1, perShard / writerRate);
  const gbSeconds = sheet.need(
    'Lambda',
    'features function GB-seconds',
    concurrency * busy * (DEPLOYMENT.featuresMemoryMb / 1024) * SECONDS_PER_MONTH,
    'per month',
    `${concurrency} instances x busy ${fmt(busy)} (${fmt(perShard)} / ${fmt(writerRate)} events/s, the writer's rate: ${writer.formula}) x ${DEPLOYMENT.featuresMemoryMb / 1024} GB x ${fmt(SECONDS_PER_MONTH)} s`,
  );
  sheet.cost('Lambda', 'features GB-seconds', gbSeconds, 'lambdaArmGbSecond', 'both', 'as above');
  sheet.cost(
    'Lambda',
    'features requests',
    invocations * SECONDS_PER_MONTH,
    'lambdaRequest',
    'both',
    `${fmt(invocations)}/s x ${fmt(SECONDS_PER_MONTH)} s`,
  );
  return { perShard, invocationsPerShard, invocations };
}

/** The scoring function and its HTTP API at `R` requests a second; nothing when there are none. */
export function planScoringFunction({ sheet }: PlanContext, R: number): void {
  if (!(R > 0)) return;
  const d = ASSUMPTIONS.scoringDurationMs / 1000;
  sheet.assumptions.push(
    `scoring function: ${ASSUMPTIONS.scoringDurationMs} ms a request (not measured on AWS)`,
  );
  sheet.need(
    'Lambda',
    'scoring function concurrency',
    Math.ceil(R * d),
    'instances',
    `ceil(${fmt(R)} requests/s x ${d} s)`,
  );
  const scoringGbSeconds = R * d * (DEPLOYMENT.scoringMemoryMb / 1024) * SECONDS_PER_MONTH;
  sheet.cost(
    'Lambda',
    'scoring GB-seconds',
    scoringGbSeconds,
    'lambdaArmGbSecond',
    'both',
    `${fmt(R)}/s x ${d} s x ${DEPLOYMENT.scoringMemoryMb / 1024} GB x ${fmt(SECONDS_PER_MONTH)} s`,
  );
  sheet.cost(
    'Lambda',
    'scoring requests',
    R * SECONDS_PER_MONTH,
    'lambdaRequest',
    'both',
    `${fmt(R)}/s x ${fmt(SECONDS_PER_MONTH)} s`,
  );
  sheet.cost(
    'API Gateway',
    'HTTP API requests',
    R * SECONDS_PER_MONTH,
    'httpApiRequest',
    'both',
    `${fmt(R)}/s x ${fmt(SECONDS_PER_MONTH)} s`,
  );
}
