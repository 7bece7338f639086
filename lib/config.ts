import { z } from 'zod';
import { describeIssues } from '../core/index.js';

/**
 * The app's typed configuration: the cdk.json context keys below (override one with `cdk synth -c key=value`;
 * object values on the command line are JSON: `-c 'stream={"mode":"provisioned","shards":4}'`).
 * Every default is stated here and nowhere else; constructs take the resolved values.
 */

const int = (min: number, max: number) => z.number().int().min(min).max(max);

const streamSchema = z.strictObject({
  /** `on-demand` (default) scales shards automatically; `provisioned` uses `shards`. */
  mode: z.enum(['on-demand', 'provisioned']).default('on-demand'),
  /** Shard count, for `provisioned` only. @default 1 when provisioned */
  shards: int(1, 10_000).optional(),
  /** How long records stay on the stream: the window to repair and replay a stuck shard. @default 24 */
  retentionHours: int(24, 8_760).default(24),
});

const featureComputerSchema = z.strictObject({
  /** Records per invocation (Lambda also caps a batch at 6 MB). @default 500 */
  batchSize: int(1, 10_000).default(500),
  /** Wait up to this long to fill a batch: fewer, larger writes for one second of freshness. @default 1 */
  maxBatchingWindowSeconds: int(0, 300).default(1),
  /** Retries of a failed batch before it goes to the on-failure destination (never infinite). @default 10 */
  retryAttempts: int(0, 10_000).default(10),
  /** Records older than this go to the on-failure destination (never infinite). @default 3600 */
  maxRecordAgeSeconds: int(60, 604_800).default(3_600),
  /** Must be 1: the online store keeps per-shard watermarks (README, "Known limits"). @default 1 */
  parallelizationFactor: z
    .number()
    .refine(
      (n) => n === 1,
      'must be 1: the online store keeps one watermark per shard in each item (README, "Known limits")',
    )
    .default(1),
  /** Where discarded batches go: `s3` keeps the whole batch, `sqs` only its shard and sequence range. @default s3 */
  onFailure: z.enum(['s3', 'sqs']).default('s3'),
  /** Read through a dedicated enhanced fan-out consumer (2 MB/s per shard of its own). @default false */
  enhancedFanOut: z.boolean().default(false),
});

const offlineStoreSchema = z.strictObject({
  /** `parquet`: Hive-partitioned Parquet under dt=/hour=; `iceberg`: Apache Iceberg tables. @default parquet */
  format: z.enum(['parquet', 'iceberg']).default('parquet'),
  /** Firehose buffering interval. @default 300 */
  bufferSeconds: int(0, 900).default(300),
  /** Firehose buffering size; Parquet conversion needs at least 64. @default 128 */
  bufferMiB: int(1, 128).default(128),
});

/**
 * The model version the scoring Lambda embeds when the config names none: the fraud model `npm run fraud:model`
 * trains (200K generated events, seed 42; holdout ROC AUC 0.922, PR AUC 0.367). The one place this default is
 * stated.
 */
export const DEFAULT_MODEL_VERSION = 'fraud-lr-52a6357d6140';

const endpointNameSchema = z
  .string()
  .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'must be a SageMaker endpoint name');

// A version is a file name in the registry: no separators, nothing that climbs out of the directory.
const modelVersionSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
    'must be a model version like fraud-lr-3f2a9c01b7de (letters, digits, ".", "_" and "-")',
  );

const modelSchema = z.strictObject({
  /** `embedded` (in the scoring Lambda) or `sagemaker` (a real-time endpoint). @default embedded */
  backend: z.enum(['embedded', 'sagemaker']).default('embedded'),
  /** The SageMaker endpoint name; required with `sagemaker`. */
  endpointName: endpointNameSchema.optional(),
  /** Give up on a SageMaker call (the model's or the challenger's) after this long. @default 300 */
  timeoutMs: int(10, 25_000).default(300),
  /** What the scoring Lambda does when the SageMaker call fails or times out. @default embedded */
  fallback: z.enum(['embedded', 'error']).default('embedded'),
  /**
   * The model registry: a directory of model documents named `<version>.json`, relative to the project root.
   * @default examples/fraud/models
   */
  registry: z.string().min(1).default('examples/fraud/models'),
  /**
   * The embedded model: `<registry>/<version>.json`, compiled into the scoring Lambda. It scores with backend
   * `embedded`, and is the fallback with `sagemaker`. Set an earlier version and deploy to roll back.
   * @default DEFAULT_MODEL_VERSION
   */
  version: modelVersionSchema.default(DEFAULT_MODEL_VERSION),
});

const challengerSchema = z.strictObject({
  /**
   * `off`; `shadow`: the model answers and the challenger scores the same features beside it, logged only;
   * `split`: the challenger answers `weight` of the requests, assigned by a hash of the entity key. @default off
   */
  mode: z.enum(['off', 'shadow', 'split']).default('off'),
  /** An embedded challenger: a version in `scoring.model.registry`. Exactly one of version and endpointName. */
  version: modelVersionSchema.optional(),
  /** A SageMaker challenger: its endpoint name. Exactly one of version and endpointName. */
  endpointName: endpointNameSchema.optional(),
  /** The share of requests the challenger answers in `split` mode, above 0 and below 1. @default 0.1 */
  weight: z
    .number()
    .refine(
      (w) => w > 0 && w < 1,
      'must be above 0 and below 1 (the share of requests the challenger answers)',
    )
    .default(0.1),
});

const scoringSchema = z.strictObject({
  /** `iam` (SigV4, default) or `jwt` (needs jwtIssuer and jwtAudience). @default iam */
  auth: z.enum(['iam', 'jwt']).default('iam'),
  /** The JWT issuer, an https URL; required with `jwt`. */
  jwtIssuer: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
  /** Accepted `aud` values; required with `jwt`. */
  jwtAudience: z.array(z.string().min(1)).min(1).optional(),
  /** Steady requests per second across the API. @default 100 */
  throttleRate: z.number().positive().max(10_000).default(100),
  /** Burst above the steady rate. @default 200 */
  throttleBurst: int(1, 5_000).default(200),
  model: modelSchema.prefault({}),
  challenger: challengerSchema.prefault({}),
});

const monitoringSchema = z.strictObject({
  /** Alarm when the features Lambda is this far behind the stream (IteratorAge maximum). @default 3 */
  iteratorAgeMinutes: z.number().positive().max(10_080).default(3),
  /** Alarm when a feature's freshness (FeatureFreshness maximum) passes this. @default 300 */
  freshnessSeconds: z.number().positive().default(300),
  /** Alarm when invalid + future records pass this share of all records. @default 1 */
  quarantinePercent: z.number().positive().max(100).default(1),
  /** Alarm when late records pass this share of all records. @default 5 */
  latePercent: z.number().positive().max(100).default(5),
  /** Alarm when the scoring API's p99 latency passes this. @default 1000 */
  apiP99Ms: z.number().positive().default(1_000),
});

const configShape = z.strictObject({
  /** `prod` retains data stores and turns on deletion protection. @default dev */
  stage: z.enum(['dev', 'prod']).default('dev'),
  /** The feature spec (JSON, or a JS module exporting it), relative to the project root. */
  specFile: z.string().min(1).default('examples/fraud/spec.json'),
  stream: streamSchema.prefault({}),
  featureComputer: featureComputerSchema.prefault({}),
  offlineStore: offlineStoreSchema.prefault({}),
  scoring: scoringSchema.prefault({}),
  /** Also deploy an HTTP API that puts events on the stream. @default false */
  ingestApi: z.boolean().default(false),
  /** Subscribe this address to the alarm topic. @default - no subscription */
  alarmEmail: z.email().optional(),
  monitoring: monitoringSchema.prefault({}),
});

export const configSchema = configShape.superRefine((config, ctx) => {
  const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const { stream, featureComputer, offlineStore, scoring } = config;
  if (stream.mode === 'on-demand' && stream.shards !== undefined) {
    issue(['stream', 'shards'], 'applies to mode "provisioned" only (mode is "on-demand")');
  }
  const retentionSeconds = stream.retentionHours * 3_600;
  if (featureComputer.maxRecordAgeSeconds > retentionSeconds) {
    issue(
      ['featureComputer', 'maxRecordAgeSeconds'],
      `must not exceed the stream retention (${retentionSeconds} s = stream.retentionHours ${stream.retentionHours}): ` +
        'records that expire from the stream are lost without reaching the on-failure destination',
    );
  }
  if (offlineStore.format === 'parquet' && offlineStore.bufferMiB < 64) {
    issue(
      ['offlineStore', 'bufferMiB'],
      'must be at least 64 with format "parquet" (Firehose format conversion)',
    );
  }
  if (scoring.auth === 'jwt') {
    if (scoring.jwtIssuer === undefined) issue(['scoring', 'jwtIssuer'], 'is required with auth "jwt"');
    if (scoring.jwtAudience === undefined) issue(['scoring', 'jwtAudience'], 'is required with auth "jwt"');
  }
  if (scoring.model.backend === 'sagemaker' && scoring.model.endpointName === undefined) {
    issue(['scoring', 'model', 'endpointName'], 'is required with backend "sagemaker"');
  }
  const { challenger } = scoring;
  if (challenger.mode !== 'off') {
    if ((challenger.version === undefined) === (challenger.endpointName === undefined)) {
      issue(
        ['scoring', 'challenger'],
        `needs exactly one of version and endpointName with mode "${challenger.mode}" ` +
          `(it has ${challenger.version === undefined ? 'neither' : 'both'})`,
      );
    } else if (challenger.version !== undefined && challenger.version === scoring.model.version) {
      issue(
        ['scoring', 'challenger', 'version'],
        'is the model itself (scoring.model.version): name another version, or set mode "off"',
      );
    }
  }
});

export type StreamfeaturesConfig = z.output<typeof configSchema>;
export type StreamfeaturesConfigInput = z.input<typeof configSchema>;

/** The context keys the config reads; CDK's own context (feature flags, `aws:cdk:*`) is left alone. */
export const CONFIG_KEYS = Object.keys(configShape.shape) as readonly (keyof StreamfeaturesConfig)[];
const STRING_KEYS: readonly string[] = ['stage', 'specFile', 'alarmEmail'];

/** A config that does not validate: every problem, each with its path and the bad value. */
export class ConfigError extends Error {
  readonly issues: readonly string[];

  constructor(issues: readonly string[]) {
    super(`invalid streamfeatures config (cdk.json context or -c):\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Validates raw context values into the config, defaults filled in; throws ConfigError naming each bad value. */
export function parseConfig(raw: Readonly<Record<string, unknown>>): StreamfeaturesConfig {
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value !== undefined) input[key] = STRING_KEYS.includes(key) ? value : fromCommandLine(value);
  }
  const parsed = configSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ConfigError(describeIssues(parsed.error.issues, input, '(config)'));
}

/**
 * Reads the config from a construct tree's context (`app.node.getAllContext()`): the config keys, and dotted keys
 * that set one nested value on top of them (`-c featureComputer.batchSize=100`). A plain key that is no config key
 * is most likely a typo (`-c stge=prod`) and fails; CDK's own keys (`@aws-cdk/...`, `aws:cdk:...`) pass.
 */
export function configFromContext(context: Readonly<Record<string, unknown>>): StreamfeaturesConfig {
  const raw: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    // A copy: dotted keys below write into it, never into the app's own context.
    if (context[key] !== undefined)
      raw[key] = structuredClone(STRING_KEYS.includes(key) ? context[key] : fromCommandLine(context[key]));
  }
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(context)) {
    if (!/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+$/.test(key)) {
      if (/^[A-Za-z][A-Za-z0-9]*$/.test(key) && !(CONFIG_KEYS as readonly string[]).includes(key)) {
        unknown.push(
          `${key}: unknown config key (got ${JSON.stringify(value)}; known: ${CONFIG_KEYS.join(', ')})`,
        );
      }
      continue;
    }
    const [root, ...path] = key.split('.') as [string, ...string[]];
    if (!(CONFIG_KEYS as readonly string[]).includes(root)) {
      unknown.push(`${key}: unknown config key ${JSON.stringify(root)} (known: ${CONFIG_KEYS.join(', ')})`);
      continue;
    }
    setAt(raw, [root, ...path], fromCommandLine(value));
  }
  if (unknown.length > 0) throw new ConfigError(unknown);
  return parseConfig(raw);
}

/** Sets a nested value, making the objects on the way; a non-object on the way is left for the schema to report. */
function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    if (node[part] === undefined) node[part] = {};
    const next = node[part];
    if (typeof next !== 'object' || next === null) return;
    node = next as Record<string, unknown>;
  }
  node[path.at(-1) as string] = value;
}

/** `-c ingestApi=true` and `-c stream={...}` arrive as strings; JSON text becomes its value. */
function fromCommandLine(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
