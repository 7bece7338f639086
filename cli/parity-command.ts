import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { accountedTotals, openEventSource } from '../adapters/archive/event-source.js';
import { type LoggedPrediction, readFeatureLog } from '../adapters/archive/feature-log.js';
import { createDynamoDbClient } from '../adapters/dynamodb-client.js';
import { FeatureClient } from '../adapters/feature-client.js';
import { writeFileAtomic } from '../adapters/files/atomic-file.js';
import { loadSpecFile } from '../adapters/files/spec-file.js';
import { EmbeddedModel } from '../adapters/model/embedded-model.js';
import { readRegistryModel } from '../adapters/model/model-registry.js';
import {
  ArrivalSweep,
  type CompiledSpec,
  compileSpec,
  type InputRecord,
  type ItemDefinitions,
  type Lookup,
  ParityTally,
  pointInTime,
  sameValue,
  specVersionOf,
} from '../core/index.js';
import { CliError, type CliIO } from './io.js';
import { KeySample } from './key-sample.js';
import {
  type DefinitionCounts,
  type ParityReport,
  renderParity,
  type ScoreSection,
  type Section,
} from './parity-report.js';

export type { ParityReport } from './parity-report.js';

export interface ParityOptions {
  readonly spec: string;
  /** The raw archive (or JSON Lines events) to replay. */
  readonly archive: string;
  /** The online-store table; none: the online store is not compared. */
  readonly table?: string | undefined;
  /** The feature log (Parquet, directory, s3://, or JSON Lines); none: logged vectors are not compared. */
  readonly featureLog?: string | undefined;
  /** A model registry (`<version>.json` files): logged scores are recomputed with the version that gave them. */
  readonly models?: string | undefined;
  /** Keys and logged lines to sample, each. @default 200 */
  readonly sample?: number | undefined;
  /** The time the online store is read as of. @default now */
  readonly at?: number | undefined;
  /**
   * Only feature-log lines logged from this time on: a line logged while the stream was still being processed
   * differs from the replay by what had arrived but was not yet written, which is freshness, not skew.
   * @default - every line
   */
  readonly loggedSince?: number | undefined;
  readonly seed?: number | undefined;
  readonly reorderWindowMs?: number | undefined;
  readonly arrivalField?: string | undefined;
  /** Also write the report as JSON here. */
  readonly report?: string | undefined;
  /** Clients to use instead of the default chain (the demo passes its local cloud's). */
  readonly clients?: { readonly dynamodb: DynamoDBClient; readonly s3: () => S3Client } | undefined;
}

/** Firehose's longest buffering interval (900 s) and a minute to deliver: the most the archive can lag. */
const ARCHIVE_LAG_BOUND_MS = 16 * 60_000;

/**
 * `streamfeatures parity`: replays the archive through the engine and compares, for sampled keys and times,
 * what the online store answers now and what the scoring Lambda logged (features, and the score recomputed with
 * the logged model version) against the replay. Exit 0 when everything agrees, 1 on any skew, with a report.
 */
export async function parityCommand(options: ParityOptions, io: CliIO): Promise<number> {
  if (!options.table && !options.featureLog) {
    throw new CliError('parity needs --table (the online store) or --feature-log (or both) to compare', 2);
  }
  const report = await measureParity(options, io);
  io.out(renderParity(report));
  if (options.report) await writeFileAtomic(options.report, `${JSON.stringify(report, null, 2)}\n`);
  return report.skew ? 1 : 0;
}

export async function measureParity(options: ParityOptions, io: CliIO): Promise<ParityReport> {
  const spec = compileSpec(await loadSpecFile(options.spec));
  const sampleSize = options.sample ?? 200;
  const logged = options.featureLog
    ? sampleEvenly(
        (await readFeatureLog(options.featureLog, options.clients?.s3)).filter(
          (line) => line.t >= (options.loggedSince ?? Number.NEGATIVE_INFINITY),
        ),
        sampleSize,
      )
    : [];
  const source = await openEventSource(spec, options.archive, { ...options, s3: options.clients?.s3 });
  io.err(`parity: replaying ${source.description}; ${logged.length} logged lines sampled\n`);

  const keys = new KeySample(spec, sampleSize, options.seed ?? 1);
  const reach = new ArchiveReach();
  const sweep = new ArrivalSweep(spec);
  const lookups: Lookup<LoggedPrediction>[] = logged
    .map((line) => ({ t: line.t, entities: line.entities, payload: line }))
    .sort((a, b) => a.t - b.t);
  const loggedTally = new ParityTally();
  const scores = new ScoreCheck(options.models);
  const counts = countFeatures(spec);
  const loggedLag = new ParityTally();
  const version = specVersionOf(spec);
  const notComparable = { online: new DefinitionTally(), logged: new DefinitionTally() };
  for await (const { lookup, features } of pointInTime(sweep, reach.tap(keys.tap(source.chunks)), lookups)) {
    const line = lookup.payload;
    // Like with like: a feature logged under another definition than the replay's (or by a spec without it) is not
    // compared. Lines logged before fingerprints were recorded are compared whole.
    const recorded = Object.keys(line.fingerprints).length > 0;
    const names = featureNamesOf(spec, line.entities).filter((name) => {
      if (!recorded || line.fingerprints[name] === version.fingerprints[name]) return true;
      notComparable.logged.add(name, 'anotherDefinition');
      return false;
    });
    const partial = names.length < featureNamesOf(spec, line.entities).length;
    const what = `logged ${line.source} (t=${line.t})`;
    // Logged after the archive's latest arrival, within Firehose's buffering of it: the events it saw may still be
    // in the buffer. Differences that more events explain are lag; the score then differs too, so is not checked.
    const lag =
      mayLag(reach.ms, line.t) &&
      onlyMoreEvents(
        line.entities.flatMap(({ entity }) => counts.get(entity) ?? []),
        features,
        line.features,
      );
    if (lag) loggedLag.compare(what, names, features, line.features);
    else {
      loggedTally.compare(what, names, features, line.features);
      if (partial) scores.skip('with features computed by another definition');
      else scores.check(line, features);
    }
  }
  const { events } = accountedTotals(source, sweep.totals);

  let online: ParityReport['online'];
  if (options.table) {
    const at = options.at ?? Date.now();
    const client = options.clients?.dynamodb ?? createDynamoDbClient();
    const store = new FeatureClient({ client, tableName: options.table, spec });
    const tally = new ParityTally();
    const lagged = new ParityTally();
    // Lag is possible only when reading now, and the archive's latest arrival is within Firehose's longest
    // buffering of it; with --at, the user says the archive holds everything up to then.
    const archiveBehind = options.at === undefined && mayLag(reach.ms, at);
    const sampled = keys.keys();
    for (let i = 0; i < sampled.length; i += 100) {
      const chunk = sampled.slice(i, i + 100);
      const values = await store.readWithDefinitions(chunk, at);
      chunk.forEach((request, j) => {
        const offline = sweep.read(request.entity, request.key, at);
        const other = values[j]?.values ?? {};
        const what = `online ${request.entity} ${JSON.stringify(request.key)}`;
        const names = Object.keys(offline).filter((name) =>
          comparableOnline(values[j]?.definitions, name, notComparable.online),
        );
        const lag = archiveBehind && onlyMoreEvents(counts.get(request.entity) ?? [], offline, other);
        (lag ? lagged : tally).compare(what, names, offline, other);
      });
    }
    online = {
      ...section(tally),
      vectors: tally.vectors + lagged.vectors,
      readAtMs: at,
      lag: { vectors: lagged.vectorsSkewed, examples: lagged.examples },
    };
  }
  const loggedSection = options.featureLog
    ? {
        ...section(loggedTally),
        vectors: loggedTally.vectors + loggedLag.vectors,
        scores: scores.summary(),
        lag: { vectors: loggedLag.vectorsSkewed, examples: loggedLag.examples },
      }
    : undefined;
  return {
    events,
    archiveReachMs: reach.ms,
    ...(online ? { online } : {}),
    ...(loggedSection ? { logged: loggedSection } : {}),
    notComparable: { online: notComparable.online.counts(), logged: notComparable.logged.counts() },
    skew:
      (online?.mismatches ?? 0) > 0 ||
      (loggedSection?.mismatches ?? 0) > 0 ||
      (loggedSection?.scores.mismatched ?? 0) > 0,
  };
}

/** The latest arrival of the records passing through: how far the archive has reached. */
class ArchiveReach {
  ms: number | null = null;

  async *tap(chunks: AsyncIterable<InputRecord[]>): AsyncGenerator<InputRecord[]> {
    for await (const chunk of chunks) {
      for (const record of chunk)
        if (this.ms === null || record.arrivalMs > this.ms) this.ms = record.arrivalMs;
      yield chunk;
    }
  }
}

/** True when a read at t may see events the archive lacks: t is past its latest arrival, by no more than Firehose buffers. */
function mayLag(reachMs: number | null, t: number): boolean {
  return reachMs !== null && t > reachMs && t - reachMs <= ARCHIVE_LAG_BOUND_MS;
}

/** Per feature, the values not compared and why. */
class DefinitionTally {
  private readonly byFeature = new Map<string, DefinitionCounts>();

  add(feature: string, why: keyof DefinitionCounts): void {
    const entry = this.byFeature.get(feature) ?? { anotherDefinition: 0, sinceAdded: 0 };
    entry[why]++;
    this.byFeature.set(feature, entry);
  }

  counts(): Record<string, DefinitionCounts> {
    return Object.fromEntries(this.byFeature);
  }
}

/**
 * Whether an online value can be compared with the replay's: the item holds the feature under the replay spec's
 * definition, counting every record. An item that exists without it was written under another definition of it
 * (or a spec without it); one where it was added to the item and not backfilled counts only the records since.
 * A key with no item is compared: the replay says whether it should have one.
 */
function comparableOnline(
  definitions: ItemDefinitions | undefined,
  name: string,
  tally: DefinitionTally,
): boolean {
  const stored = definitions?.features[name]?.stored;
  if (definitions?.exists && stored === 'none') tally.add(name, 'anotherDefinition');
  else if (stored === 'since-added') tally.add(name, 'sinceAdded');
  else return true;
  return false;
}

/** Per entity, its count features: events the archive lacks can only raise them. */
function countFeatures(spec: CompiledSpec): Map<string, string[]> {
  return new Map(
    spec.entities.map((entity) => [
      entity.name,
      entity.features.filter(({ feature }) => feature.agg === 'count').map(({ feature }) => feature.name),
    ]),
  );
}

/**
 * True when the online values differ from the replay's as more events would make them: every count online at
 * least the replay's, and one above it. (A key with no count feature cannot be told apart: its difference is skew.)
 */
function onlyMoreEvents(
  counts: readonly string[],
  offline: Readonly<Record<string, unknown>>,
  online: Readonly<Record<string, unknown>>,
): boolean {
  let more = false;
  for (const name of counts) {
    const a = offline[name];
    const b = online[name];
    if (typeof a !== 'number' || typeof b !== 'number' || b < a) return false;
    if (b > a) more = true;
  }
  return more;
}

function section(tally: ParityTally): Section {
  return {
    vectors: tally.vectors,
    vectorsSkewed: tally.vectorsSkewed,
    values: tally.values,
    mismatches: tally.mismatches,
    byFeature: Object.fromEntries(tally.mismatchesByFeature),
    examples: tally.examples,
  };
}

/** The features a logged line's entities have: the log's struct holds every feature, null for the others. */
function featureNamesOf(spec: CompiledSpec, entities: LoggedPrediction['entities']): string[] {
  return entities.flatMap(({ entity }) =>
    (spec.entityByName.get(entity)?.features ?? []).map(({ feature }) => feature.name),
  );
}

/** Every n-th item so that about `size` remain, first and last included: deterministic, spread over time. */
function sampleEvenly<T>(items: readonly T[], size: number): T[] {
  if (items.length <= size) return [...items];
  const step = (items.length - 1) / (size - 1);
  return Array.from({ length: size }, (_, i) => items[Math.round(i * step)] as T);
}

/** Recomputes logged scores with the logged model version from a registry directory. */
class ScoreCheck {
  rescored = 0;
  mismatched = 0;
  maxAbsDiff = 0;
  private readonly notRescored: Record<string, number> = {};
  private readonly models = new Map<string, EmbeddedModel | undefined>();

  constructor(private readonly registry: string | undefined) {}

  /** A logged line whose score is not recomputed, and why. */
  skip(why: string): void {
    this.notRescored[why] = (this.notRescored[why] ?? 0) + 1;
  }

  check(line: LoggedPrediction, features: Record<string, unknown>): void {
    const why =
      line.score === null || line.modelVersion === null
        ? 'without a logged score'
        : line.backend === 'sagemaker'
          ? 'scored by SageMaker'
          : this.registry === undefined
            ? 'without --models'
            : undefined;
    const model = why === undefined ? this.model(line.modelVersion as string) : undefined;
    if (!model) {
      const reason = why ?? `of versions not in ${this.registry}`;
      this.notRescored[reason] = (this.notRescored[reason] ?? 0) + 1;
      return;
    }
    const score = model.scoreVector(features as Parameters<EmbeddedModel['scoreVector']>[0]);
    this.rescored++;
    const diff = Math.abs(score - (line.score as number));
    this.maxAbsDiff = Math.max(this.maxAbsDiff, diff);
    if (!sameValue(score, line.score)) this.mismatched++;
  }

  summary(): ScoreSection {
    return {
      rescored: this.rescored,
      mismatched: this.mismatched,
      maxAbsDiff: this.maxAbsDiff,
      notRescored: this.notRescored,
    };
  }

  private model(version: string): EmbeddedModel | undefined {
    if (!this.models.has(version)) {
      let model: EmbeddedModel | undefined;
      try {
        model = new EmbeddedModel(readRegistryModel(this.registry as string, version));
      } catch {
        model = undefined;
      }
      this.models.set(version, model);
    }
    return this.models.get(version);
  }
}
