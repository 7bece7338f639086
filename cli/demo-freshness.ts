/**
 * The cloud demo's traffic phases and what it measures of them: steady traffic put at the pace its arrival times
 * say, a backlog put at once, per-event freshness read back from the CloudWatch metric the features function
 * emitted (EventFreshness), and how soon a sample of events is readable through the scoring API.
 */

import {
  type KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { DEFAULT_TRAFFIC_OPTIONS, generateFraudTraffic } from '../examples/fraud/generate.js';
import type { FraudLabel, GeneratedRecord, Traffic } from '../examples/fraud/traffic-types.js';
import { signedPost } from './signed-post.js';

/** PutRecords takes at most 500 records a call. */
export const PUT_CHUNK = 500;
/** How often a sampled event's card is read through the scoring API until its count includes the event. */
export const PROBE_POLL_MS = 100;
/** How often the paced put looks for records whose arrival time has come. */
const PACE_TICK_MS = 50;

/**
 * Fraud traffic whose events all fall inside [startMs, endMs] of event time. The generator spreads a fraud burst
 * over 1 to 5 minutes whatever the stream's span, so in a span shorter than that a burst runs past its end: put
 * now, those events' times lie more than the spec's 1-minute maxFutureSkew ahead of their Kinesis arrival, and they
 * are quarantined as `future` although they were generated as fraud (the demo once said "future 10" and counted
 * 11). They are cut, with their duplicates and labels, and the counts say so.
 */
export function trafficWithin(
  options: { events: number; eventsPerSecond: number; startMs: number; seed: number },
  endMs: number,
): Traffic & { cut: number } {
  const traffic = generateFraudTraffic(options);
  const tooLate = new Set(traffic.labels.filter((label) => label.ts > endMs).map((label) => label.event_id));
  if (tooLate.size === 0) return { ...traffic, cut: 0 };
  const counts = { ...traffic.counts };
  const records = traffic.records.filter((record) => {
    const cut =
      record.eventId !== undefined &&
      tooLate.has(record.eventId) &&
      (record.kind === 'fraud' || record.kind === 'normal' || record.kind === 'duplicate');
    if (cut) counts[record.kind]--;
    return !cut;
  });
  const labels = traffic.labels.filter((label) => !tooLate.has(label.event_id));
  return { ...traffic, records, labels, counts, cut: traffic.records.length - records.length };
}

/** The traffic of several phases as one: records in put order, labels by time, counts added up. */
export function combined(parts: readonly Traffic[]): {
  records: GeneratedRecord[];
  labels: FraudLabel[];
  counts: Record<string, number>;
} {
  const counts: Record<string, number> = {};
  for (const part of parts)
    for (const [kind, n] of Object.entries(part.counts)) counts[kind] = (counts[kind] ?? 0) + n;
  return {
    records: parts.flatMap((part) => part.records),
    labels: parts.flatMap((part) => part.labels).sort((a, b) => a.ts - b.ts),
    counts,
  };
}

/** A seed per phase, so the phases' events differ (their ids above all: the same id twice is a duplicate). */
export function phaseSeed(phase: number): number {
  return DEFAULT_TRAFFIC_OPTIONS.seed + phase;
}

/**
 * Puts records on the stream as their generated arrival times come (each tick, every record now due, in chunks of
 * at most PUT_CHUNK), so the stream sees them at the traffic's own rate; records due after `untilMs` (re-sent
 * duplicates, up to 30 s after their original) go at `untilMs`, so the phase ends with its span. `onPut` hears each chunk after its put,
 * with the time the put was sent.
 */
export async function putPaced(
  kinesis: KinesisClient,
  streamName: string,
  records: readonly GeneratedRecord[],
  untilMs: number,
  onPut: (chunk: readonly GeneratedRecord[], sentAt: number) => void = () => {},
): Promise<void> {
  const dueAt = (record: GeneratedRecord) => Math.min(record.arrivalMs, untilMs);
  let next = 0;
  while (next < records.length) {
    const now = Date.now();
    let due = next;
    while (due < records.length && dueAt(records[due] as GeneratedRecord) <= now) due++;
    for (let i = next; i < due; i += PUT_CHUNK) {
      const chunk = records.slice(i, Math.min(due, i + PUT_CHUNK));
      const sentAt = Date.now();
      await putChunk(kinesis, streamName, chunk);
      onPut(chunk, sentAt);
    }
    next = due;
    if (next < records.length) {
      const wait = Math.min(PACE_TICK_MS, dueAt(records[next] as GeneratedRecord) - Date.now());
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/**
 * Puts one record on each shard (ExplicitHashKey at the shard's range), so each shard's environment of the
 * features function has started before anything is timed: a cold start is a fact of Lambda, not of steady
 * traffic. The records are the given ones, in order, one a shard (as many as there are).
 */
export async function warmUp(
  kinesis: KinesisClient,
  streamName: string,
  records: readonly GeneratedRecord[],
): Promise<number> {
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  const entries: PutRecordsRequestEntry[] = shards.slice(0, records.length).map((shard, i) => {
    const record = records[i] as GeneratedRecord;
    return {
      Data: record.data,
      PartitionKey: record.partitionKey,
      ExplicitHashKey: shard.HashKeyRange?.StartingHashKey,
    };
  });
  const answer = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: entries }));
  if ((answer.FailedRecordCount ?? 0) > 0) throw new Error('the warm-up records were refused');
  return entries.length;
}

/** Runs the given calls one at a time, in the order they come: the sampled reads share one line to the API. */
export function oneAtATime(): <T>(call: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(call: () => Promise<T>) => {
    const run = tail.then(call, call);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** Puts records as fast as PutRecords takes them, in chunks of PUT_CHUNK. */
export async function putAll(
  kinesis: KinesisClient,
  streamName: string,
  records: readonly GeneratedRecord[],
  onChunk: (done: number) => void = () => {},
): Promise<void> {
  for (let i = 0; i < records.length; i += PUT_CHUNK) {
    await putChunk(kinesis, streamName, records.slice(i, i + PUT_CHUNK));
    onChunk(Math.min(records.length, i + PUT_CHUNK));
  }
}

/** One PutRecords call, the records it refused (throttled) put again with backoff. */
async function putChunk(
  kinesis: KinesisClient,
  streamName: string,
  chunk: readonly GeneratedRecord[],
): Promise<void> {
  let pending: PutRecordsRequestEntry[] = chunk.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey }));
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 8) throw new Error(`${pending.length} records still refused by PutRecords`);
    if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * attempt));
    const answer = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: pending }));
    pending = pending.filter((_, j) => answer.Records?.[j]?.ErrorCode !== undefined);
  }
}

/**
 * The events to time through the scoring API: counted ones (normal or fraud) whose card no earlier record of the
 * traffic names, so the card's count reaching 1 means this very event's features are written. At most `max`,
 * spread over the traffic.
 */
export function probeCandidates(records: readonly GeneratedRecord[], max: number): Set<GeneratedRecord> {
  const decoder = new TextDecoder();
  const seen = new Set<string>();
  const firsts: GeneratedRecord[] = [];
  for (const record of records) {
    const card = cardOf(decoder.decode(record.data));
    if (card === undefined) continue;
    if (!seen.has(card) && (record.kind === 'normal' || record.kind === 'fraud')) firsts.push(record);
    seen.add(card);
  }
  const step = Math.max(1, firsts.length / max);
  const chosen = new Set<GeneratedRecord>();
  for (let i = 0; i < firsts.length && chosen.size < max; i += step)
    chosen.add(firsts[Math.floor(i)] as GeneratedRecord);
  return chosen;
}

function cardOf(text: string): string | undefined {
  try {
    const event = JSON.parse(text) as { card_id?: unknown };
    return typeof event.card_id === 'string' && event.card_id !== '' ? event.card_id : undefined;
  } catch {
    return undefined;
  }
}

/** p50, p99 and max of per-event freshness from CloudWatch, and how many values they are over. */
export interface FreshnessStats {
  values: number;
  p50: number | undefined;
  p99: number | undefined;
  max: number | undefined;
}

/**
 * EventFreshness of [startMs, endMs), as CloudWatch answers it: one datapoint over the whole span (GetMetricStatistics
 * with a period covering it), with its sample count, p50, p99 and maximum.
 */
export async function eventFreshness(
  endpoint: string,
  serviceName: string,
  startMs: number,
  endMs: number,
): Promise<FreshnessStats> {
  const period = Math.max(60, Math.ceil((endMs - startMs) / 60_000) * 60);
  const answer = (await cloudWatchCall(endpoint, 'GetMetricStatistics', {
    Namespace: 'streamfeatures',
    MetricName: 'EventFreshness',
    Dimensions: [{ Name: 'service', Value: serviceName }],
    StartTime: startMs / 1000,
    EndTime: endMs / 1000,
    Period: period,
    Statistics: ['SampleCount', 'Maximum'],
    ExtendedStatistics: ['p50', 'p99'],
  })) as {
    Datapoints?: { SampleCount?: number; Maximum?: number; ExtendedStatistics?: Record<string, number> }[];
  };
  const points = answer.Datapoints ?? [];
  const values = points.reduce((n, p) => n + (p.SampleCount ?? 0), 0);
  const point = points[0];
  return {
    values,
    p50: point?.ExtendedStatistics?.p50,
    p99: point?.ExtendedStatistics?.p99,
    max: points.length === 0 ? undefined : Math.max(...points.map((p) => p.Maximum ?? 0)),
  };
}

/**
 * One CloudWatch call in its AWS JSON 1.0 protocol, SigV4-signed: the CLI's package carries no CloudWatch SDK
 * client for this one read.
 */
async function cloudWatchCall(endpoint: string, operation: string, input: unknown): Promise<unknown> {
  const response = await signedPost(new URL('/', endpoint), JSON.stringify(input), {
    service: 'monitoring',
    contentType: 'application/x-amz-json-1.0',
    headers: { 'x-amz-target': `GraniteServiceVersion20100801.${operation}` },
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`CloudWatch ${operation} answered ${response.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

export function ms(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${Math.round(value)} ms`;
}
