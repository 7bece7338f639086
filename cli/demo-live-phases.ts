/**
 * The demo's live phases (issue 16's freshness measurements): a warm-up, steady traffic at a rate the local cloud
 * sustains with 20 sampled events timed through the scoring API, a backlog put at once, and steady traffic again;
 * per-event freshness of each phase read back from the local CloudWatch, and the features function's outcomes.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { DEFAULT_TRAFFIC_OPTIONS } from '../examples/fraud/generate.js';
import type { GeneratedRecord } from '../examples/fraud/traffic-types.js';
import type { Deployment } from '../packages/local-cloud/src/deploy-template.js';
import {
  combined,
  eventFreshness,
  type FreshnessStats,
  ms,
  oneAtATime,
  PROBE_POLL_MS,
  percentile,
  phaseSeed,
  probeCandidates,
  putAll,
  putPaced,
  trafficWithin,
  warmUp,
} from './demo-freshness.js';
import { readableAfter, scoringBodyOf, signedPost } from './demo-scoring.js';
import { type CliIO, describeCounts, progress } from './io.js';

/**
 * The steady rate the demo puts traffic at: what the local cloud keeps up with on a busy 2-core machine (one shard,
 * the default 1 s batching window) with per-event freshness near what AWS gives (README, Quick start).
 */
const STEADY_EVENTS_PER_SECOND = 20;
/** How long the steady phase lasts, and the steady phase after the backlog. */
const STEADY_SECONDS = 20;
const RECOVERY_SECONDS = 6;
/** Events of the steady phase timed through the scoring API. */
const PROBES = 20;
/** Longest span of event time the demo generates: well inside the spec's 5-minute allowed lateness. */
const MAX_SPAN_SECONDS = 100;

const OUTCOMES = ['counted', 'invalid', 'future', 'late', 'duplicate'] as const;
type Outcome = (typeof OUTCOMES)[number];

export interface LivePhasesOptions {
  readonly events: number;
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly scoringUrl: string;
  readonly deployment: Deployment;
  /** Each function's log lines, as the local cloud hands them on. */
  readonly logs: ReadonlyMap<string, string[]>;
  readonly endpoint: string;
  /** The features function's Powertools service name, the dimension of its EventFreshness metric. */
  readonly serviceName: string;
  readonly flushFirehose: () => Promise<void>;
}

export type LivePhases = Awaited<ReturnType<typeof runLivePhases>>;

export async function runLivePhases(options: LivePhasesOptions, io: CliIO) {
  const { events, kinesis, streamName, scoringUrl, deployment, logs } = options;
  // Three phases: steady traffic at a rate the local cloud sustains, a backlog put at once, and steady traffic
  // again to see freshness recover. Each phase is drained before the next, so CloudWatch's EventFreshness of a
  // phase's span is that phase's alone.
  const steadyEvents = Math.min(STEADY_EVENTS_PER_SECOND * STEADY_SECONDS, Math.floor(events * 0.4));
  const recoveryEvents = Math.min(STEADY_EVENTS_PER_SECOND * RECOVERY_SECONDS, Math.floor(events * 0.1));
  const burstEvents = events - steadyEvents - recoveryEvents;
  const mappings = [...deployment.mappings.values()];
  const drainAll = () => Promise.all(mappings.map((m) => m.drain(180_000)));
  const countedSoFar = () =>
    batchLines(deployment, logs).done.reduce((n, b) => n + Number(b.counted ?? 0), 0);
  let countedBefore = 0;
  // Phase windows meet end to end, so every value lands in exactly one phase.
  let phaseEnd = Date.now();
  const measure = async () => {
    const startMs = phaseEnd;
    phaseEnd = Date.now();
    // The function's EMF lines reach CloudWatch through its log group: wait until every counted event of the
    // phase has its value there (or give up after a while and report what is there).
    const counted = countedSoFar() - countedBefore;
    countedBefore += counted;
    const deadline = Date.now() + 15_000;
    for (;;) {
      const stats = await eventFreshness(options.endpoint, options.serviceName, startMs, phaseEnd);
      if (stats.values >= counted || Date.now() > deadline) return { ...stats, counted };
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  // 0. Warm-up: each shard's features environment and the scoring function started (cold starts are not
  // steady traffic), then drained; its records count with the steady phase's.
  const warm = trafficWithin(
    { events: 8, eventsPerSecond: 8, startMs: Date.now() - 2_000, seed: phaseSeed(0) },
    Date.now(),
  );
  const warmRecords = warm.records.filter((r) => r.kind === 'normal');
  const warmed = await warmUp(kinesis, streamName, warmRecords);
  const warmScoring = scoringBodyOf(warmRecords[0] as GeneratedRecord);
  if (warmScoring !== undefined) await signedPost(scoringUrl, warmScoring);
  await drainAll();
  const warmUsed = { ...warm, records: warmRecords.slice(0, warmed) };
  const warmLabels = new Set(warmUsed.records.map((r) => r.eventId));
  warmUsed.labels = warm.labels.filter((label) => warmLabels.has(label.event_id));
  warmUsed.counts = { normal: warmed } as typeof warm.counts;

  // 1. Steady traffic, put as its arrival times come, and a sample of events timed through the scoring API.
  const steadyStart = Date.now() + 500;
  const steady = steadyTraffic(steadyEvents, steadyStart, 1);
  io.err(
    `deployed in ${deployment.deployMs} ms; steady traffic: ${steady.records.length} records at ${STEADY_EVENTS_PER_SECOND} events/s (${describeCounts(steady.counts)})${cutNote(steady.cut)}\n`,
  );
  const probes = probeCandidates(steady.records, PROBES);
  const probeRuns: Promise<number | undefined>[] = [];
  const probeFailures: string[] = [];
  const serial = oneAtATime();
  await putPaced(kinesis, streamName, steady.records, steady.endMs, (chunk, sentAt) => {
    for (const record of chunk)
      if (probes.has(record))
        probeRuns.push(readableAfter(scoringUrl, record, sentAt, probeFailures, serial));
  });
  const steadyPutMs = Date.now() - steadyStart;
  await drainAll();
  const readable = (await Promise.all(probeRuns)).filter((v): v is number => v !== undefined);
  const steadyStats = await measure();

  // 2. A backlog: events of the last 100 s or less, put at once (a producer catching up).
  const burstSpanMs =
    (burstEvents / Math.max(DEFAULT_TRAFFIC_OPTIONS.eventsPerSecond, burstEvents / MAX_SPAN_SECONDS)) * 1000;
  const burstTrafficStart = Math.floor(Date.now() - burstSpanMs - 3_000);
  const burst = trafficWithin(
    {
      events: burstEvents,
      eventsPerSecond: burstEvents / (burstSpanMs / 1000),
      startMs: burstTrafficStart,
      seed: phaseSeed(2),
    },
    burstTrafficStart + burstSpanMs,
  );
  io.err(
    `backlog: putting ${burst.records.length} records at once (${describeCounts(burst.counts)})${cutNote(burst.cut)}\n`,
  );
  const burstStart = Date.now();
  await putAll(kinesis, streamName, burst.records, (done) =>
    progress(io, done, burst.records.length, 0, 'put'),
  );
  if (io.interactive) io.err('\n');
  const burstPutMs = Date.now() - burstStart;
  await drainAll();
  const burstDrainMs = Date.now() - burstStart;
  const burstStats = await measure();

  // 3. Steady traffic again: freshness is back where it was.
  const recoveryStart = Date.now() + 500;
  const recovery = steadyTraffic(recoveryEvents, recoveryStart, 3);
  await putPaced(kinesis, streamName, recovery.records, recovery.endMs);
  await drainAll();
  const recoveryStats = await measure();
  await options.flushFirehose();

  const traffic = combined([warmUsed, steady, burst, recovery]);
  const records = traffic.records;

  // Outcomes: the features function's own log line per batch.
  const batches = batchLines(deployment, logs);
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  for (const batch of batches.done) for (const o of OUTCOMES) outcomes[o] += Number(batch[o] ?? 0);
  const accounted = OUTCOMES.reduce((sum, o) => sum + outcomes[o], 0);
  const freshnessValues = steadyStats.values + burstStats.values + recoveryStats.values;

  return {
    traffic,
    records,
    steady,
    steadyPutMs,
    steadyStats,
    readable,
    probes,
    probeFailures,
    burst,
    burstPutMs,
    burstDrainMs,
    burstStats,
    recovery,
    recoveryStats,
    batches,
    outcomes,
    accounted,
    freshnessValues,
  };
}

/** The report's lines for the live phases. */
export function livePhasesReport(phases: LivePhases): string[] {
  const {
    steady,
    steadyPutMs,
    steadyStats,
    readable,
    probes,
    burst,
    burstPutMs,
    burstDrainMs,
    burstStats,
    recovery,
    recoveryStats,
    outcomes,
    accounted,
    records,
    batches,
  } = phases;
  return [
    `  steady traffic     ${steady.records.length} records at ${STEADY_EVENTS_PER_SECOND} events/s for ${(steadyPutMs / 1000).toFixed(1)} s: freshness ${freshnessLine(steadyStats)}`,
    `  readable           ${readable.length} of ${probes.size} sampled events readable through POST /score p50 ${ms(percentile(readable, 0.5))}, p99 ${ms(percentile(readable, 0.99))}, max ${ms(percentile(readable, 1))} after their put (polled every ${PROBE_POLL_MS} ms)`,
    `  backlog            ${burst.records.length} records put at once (${(burstPutMs / 1000).toFixed(1)} s), drained ${(burstDrainMs / 1000).toFixed(1)} s after the first put (${Math.round((burst.records.length * 1000) / burstDrainMs)} records/s): freshness ${freshnessLine(burstStats)}`,
    `  recovered          ${recovery.records.length} records at ${STEADY_EVENTS_PER_SECOND} events/s after the backlog: freshness ${freshnessLine(recoveryStats)}`,
    `  outcomes           counted ${outcomes.counted}, invalid ${outcomes.invalid}, future ${outcomes.future}, late ${outcomes.late}, duplicate ${outcomes.duplicate} = ${accounted} of ${records.length}${batches.partial > 0 ? ` (${batches.partial} batches done in part)` : ''}`,
  ];
}

/** The features function's `batch` log lines (done whole), and how many batches were done only in part. */
export function batchLines(
  deployment: Deployment,
  logs: ReadonlyMap<string, string[]>,
): { done: Record<string, unknown>[]; partial: number } {
  const done: Record<string, unknown>[] = [];
  let partial = 0;
  for (const [source, lines] of logs) {
    if (!deployment.functions.has(source)) continue;
    for (const line of lines) {
      const start = line.indexOf('{');
      if (start < 0) continue;
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line.slice(start)) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (entry.message === 'batch') done.push(entry);
      else if (typeof entry.message === 'string' && entry.message.startsWith('batch done in part')) partial++;
    }
  }
  return { done, partial };
}

/** Traffic put at its own pace from `startMs` on: `events` base events at the steady rate. */
function steadyTraffic(events: number, startMs: number, phase: number) {
  const endMs = startMs + (events / STEADY_EVENTS_PER_SECOND) * 1000;
  return {
    ...trafficWithin(
      { events, eventsPerSecond: STEADY_EVENTS_PER_SECOND, startMs, seed: phaseSeed(phase) },
      endMs,
    ),
    endMs,
  };
}

function cutNote(cut: number): string {
  return cut === 0 ? '' : `; ${cut} fraud records whose burst runs past the span left out`;
}

function freshnessLine(stats: FreshnessStats & { counted: number }): string {
  return `p50 ${ms(stats.p50)}, p99 ${ms(stats.p99)}, max ${ms(stats.max)} (EventFreshness: ${stats.values} values for ${stats.counted} counted events)`;
}
