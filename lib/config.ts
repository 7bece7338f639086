import { Duration, Size } from 'aws-cdk-lib';
import { parseDuration } from '../core/duration.js';
import type { FeaturePipelineProps } from './feature-pipeline.js';

/**
 * A CDK app's context (cdk.json's `context`, `cdk synth -c key=value`) as FeaturePipeline props: `stage` and
 * `specFile` (required; cdk.json states them), and any FeaturePipeline setting as an override under its prop name
 * (`-c batchSize=100`, `-c streamRetention=48h`, `-c 'apiAuth={"type":"jwt",...}'`). This reads and types the
 * values only: the defaults and bounds are the constructs' (stated once, there), which check the values.
 */

/** How a context value becomes a prop. */
type Kind = 'string' | 'number' | 'boolean' | 'duration' | 'mebibytes' | 'json' | 'switch-or-json';

/** The props a context key may set; resources (`existing*`) and the spec itself cannot come from context. */
type OverridableProp = Exclude<keyof FeaturePipelineProps, 'spec' | 'stage' | `existing${string}`>;

/** Every overridable prop with its kind: the compiler checks the list is complete. */
const OVERRIDES: Record<OverridableProp, Kind> = {
  streamMode: 'string',
  shardCount: 'number',
  streamRetention: 'duration',
  batchSize: 'number',
  maxBatchingWindow: 'duration',
  retryAttempts: 'number',
  maxRecordAge: 'duration',
  parallelizationFactor: 'number',
  onFailure: 'string',
  enhancedFanOut: 'boolean',
  offlineFormat: 'string',
  offlineBufferInterval: 'duration',
  offlineBufferSize: 'mebibytes',
  apiAuth: 'json',
  throttleRate: 'number',
  throttleBurst: 'number',
  model: 'json',
  modelRegistry: 'string',
  modelVersion: 'string',
  challenger: 'json',
  ingestApi: 'boolean',
  ingestLabels: 'boolean',
  labelsStream: 'boolean',
  alarmEmail: 'string',
  alarmThresholds: 'json',
  backfillPlanned: 'boolean',
  modelMonitoring: 'switch-or-json',
};

/** The context keys the app reads. */
export const CONTEXT_KEYS: readonly string[] = ['stage', 'specFile', ...Object.keys(OVERRIDES)];

export interface AppContext {
  readonly stage: 'dev' | 'prod';
  /** The feature spec file (JSON, or a JS module exporting it), relative to the app's folder. */
  readonly specFile: string;
  /** The FeaturePipeline props the context sets. */
  readonly overrides: Partial<Omit<FeaturePipelineProps, 'spec' | 'stage'>>;
}

/** Context values that cannot become props: every problem, each with the key and the bad value. */
export class ConfigError extends Error {
  readonly issues: readonly string[];

  constructor(issues: readonly string[]) {
    super(`invalid streamfeatures context (cdk.json or -c):\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * Reads the app context (`app.node.getAllContext()`). A plain key that is no setting is most likely a typo
 * (`-c batchsize=100`) and fails, naming the known keys; CDK's own keys (`@aws-cdk/...`, `aws:cdk:...`) pass.
 */
export function appContext(context: Readonly<Record<string, unknown>>): AppContext {
  const issues: string[] = [];
  const overrides: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(context)) {
    if (raw === undefined || !/^[A-Za-z][A-Za-z0-9]*$/.test(key) || key === 'stage' || key === 'specFile')
      continue;
    const kind = (OVERRIDES as Record<string, Kind>)[key];
    if (kind === undefined) {
      issues.push(
        `${key}: unknown context key (got ${JSON.stringify(raw)}; known: ${CONTEXT_KEYS.join(', ')})`,
      );
      continue;
    }
    const value = typed(kind, raw);
    if ('error' in value) issues.push(`${key}: ${value.error} (got ${JSON.stringify(raw)})`);
    else overrides[key] = value.ok;
  }
  const { stage, specFile } = context;
  if (stage !== 'dev' && stage !== 'prod') {
    issues.push(`stage: must be "dev" or "prod" (got ${JSON.stringify(stage)})`);
  }
  if (typeof specFile !== 'string' || specFile === '') {
    issues.push(`specFile: must name the feature spec file (got ${JSON.stringify(specFile)})`);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { stage: stage as 'dev' | 'prod', specFile: specFile as string, overrides };
}

/** A context value (`-c` gives strings; cdk.json gives JSON values) as the prop's type. */
function typed(kind: Kind, raw: unknown): { ok: unknown } | { error: string } {
  const value = typeof raw === 'string' && kind !== 'string' && kind !== 'duration' ? parsedJson(raw) : raw;
  switch (kind) {
    case 'string':
      return typeof value === 'string' ? { ok: value } : { error: 'must be a string' };
    case 'number':
      return typeof value === 'number' ? { ok: value } : { error: 'must be a number' };
    case 'boolean':
      return typeof value === 'boolean' ? { ok: value } : { error: 'must be true or false' };
    case 'mebibytes':
      return typeof value === 'number' ? { ok: Size.mebibytes(value) } : { error: 'must be a number of MiB' };
    case 'json':
      return typeof value === 'object' && value !== null ? { ok: value } : { error: 'must be a JSON object' };
    case 'switch-or-json':
      return typeof value === 'boolean' || (typeof value === 'object' && value !== null)
        ? { ok: value }
        : { error: 'must be true, false or a JSON object' };
    case 'duration': {
      // A setting may be zero (`maxBatchingWindow=0s` is the low-latency configuration): the props' own range
      // checks refuse a zero where it is not allowed, naming the prop.
      if (value === 0 || (typeof value === 'string' && /^\s*0+\s*(ms|s|m|h|d)?\s*$/.test(value)))
        return { ok: Duration.seconds(0) };
      const parsed = parseDuration(value);
      return 'error' in parsed ? { error: parsed.error } : { ok: Duration.millis(parsed.ms) };
    }
  }
}

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Where the tests and scripts that predate the library read it; stated in lib/model-registry.ts. */
export { DEFAULT_MODEL_VERSION } from './model-registry.js';
