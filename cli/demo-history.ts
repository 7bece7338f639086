/**
 * The demo's history: days of generated fraud traffic with realistic event times, written as the raw archive
 * (Parquet under `raw/dt=…/hour=…/`, the layout Firehose writes) with delayed labels beside it. The live phases put
 * their traffic in a few seconds, too compressed in time to learn from; this history is what the demo backfills
 * into the online store and trains on, before any live traffic.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { writeRawArchive } from '../adapters/archive/archive-writer.js';
import type { Spec } from '../core/index.js';
import {
  DEFAULT_TRAFFIC_OPTIONS,
  type FraudLabel,
  generateFraudTraffic,
} from '../examples/fraud/generate.js';
import type { Traffic } from '../examples/fraud/traffic-types.js';
import { onShards } from './simulated-stream.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The history's shape: 3 days of a small issuer's traffic, 600 cards making a few payments a day at 200 merchants
 * (8,000 events, about 0.03 events/s): enough for most rows to have card history, and few enough that the backfill
 * into DynamoDB Local takes seconds. Fraud bursts are 2% of the events (the live traffic's rate is 0.5%): at 0.5%,
 * 3 days leave the time-ordered holdout a burst or two.
 */
export const HISTORY = {
  events: 8_000,
  days: 3,
  cards: 600,
  merchants: 200,
  fraudRate: 0.02,
  seed: DEFAULT_TRAFFIC_OPTIONS.seed + 100,
  /**
   * The history's event time ends this long before the demo starts, and records arriving later are left out:
   * late records arrive up to 30 min after their time, and the live phases' readability probes count on their
   * cards' 10-minute counts holding no history.
   */
  endsBeforeMs: 45 * 60_000,
  arrivesBeforeMs: 15 * 60_000,
  /** A label becomes known 1 to 24 hours after its event (a chargeback, a customer's call, a quiet day). */
  labelDelayMinMs: HOUR,
  labelDelaySpanMs: 23 * HOUR,
} as const;

/** A delayed label as the monitor and the training set read it: the event's keys and time, label and label_time. */
export interface DelayedLabelLine extends FraudLabel {
  readonly label_time: number;
}

export interface DemoHistory {
  readonly traffic: Traffic;
  readonly startMs: number;
  readonly endMs: number;
  /** Records left out because they would arrive within HISTORY.arrivesBeforeMs of now. */
  readonly cut: number;
  /** Labels known by now (label_time at or before it), for training. */
  readonly known: readonly DelayedLabelLine[];
  /** Labels whose label_time is still to come: not known yet, so not trained on. */
  readonly pending: number;
}

/** The history, as of `nowMs`. Deterministic but for its place in time: same records, shifted. */
export function generateHistory(nowMs: number): DemoHistory {
  const endMs = nowMs - HISTORY.endsBeforeMs;
  const startMs = Math.floor(endMs - HISTORY.days * DAY);
  const generated = generateFraudTraffic({
    events: HISTORY.events,
    eventsPerSecond: HISTORY.events / ((endMs - startMs) / 1000),
    startMs,
    seed: HISTORY.seed,
    cards: HISTORY.cards,
    merchants: HISTORY.merchants,
    fraudRate: HISTORY.fraudRate,
  });
  const arrivedBy = nowMs - HISTORY.arrivesBeforeMs;
  const records = generated.records.filter((record) => record.arrivalMs <= arrivedBy);
  const kept = new Set(records.map((record) => record.eventId));
  const counts = { ...generated.counts };
  for (const record of generated.records) if (record.arrivalMs > arrivedBy) counts[record.kind]--;
  const labels = generated.labels.filter((label) => kept.has(label.event_id));
  const traffic: Traffic = { ...generated, records, labels, counts };
  const delayed = labels.map((label) => ({ ...label, label_time: label.ts + labelDelay(label.event_id) }));
  const known = delayed.filter((label) => label.label_time <= nowMs);
  return {
    traffic,
    startMs,
    endMs,
    cut: generated.records.length - records.length,
    known,
    pending: delayed.length - known.length,
  };
}

/** A label's delay, fixed by its event id (so a rerun gives the same labels). */
function labelDelay(eventId: string): number {
  const hash = createHash('md5').update(eventId).digest().readUInt32BE(0);
  return HISTORY.labelDelayMinMs + (hash / 2 ** 32) * HISTORY.labelDelaySpanMs;
}

export interface StoredHistory {
  /** The archive's object keys in the offline bucket. */
  readonly keys: readonly string[];
  /** The labels' object key, and the same lines in a local file for the training-set build. */
  readonly labelsKey: string;
  readonly labelsFile: string;
}

/**
 * Writes the history's raw archive (as Firehose would have, an hour a file) and its known labels (JSON Lines, under
 * `labels/history/`) into the offline bucket.
 */
export async function storeHistory(
  s3: S3Client,
  bucket: string,
  spec: Spec,
  history: DemoHistory,
  scratch: string,
): Promise<StoredHistory> {
  const dir = join(scratch, 'history');
  const files = writeRawArchive(dir, spec, onShards(history.traffic.records, 1));
  const keys: string[] = [];
  for (const file of files) {
    const key = `raw/${file}`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(join(dir, file)) }));
    keys.push(key);
  }
  const labelsFile = join(scratch, 'history-labels.jsonl');
  const text = history.known.map((label) => JSON.stringify(label)).join('\n');
  writeFileSync(labelsFile, `${text}\n`);
  const labelsKey = `labels/history/labels-${new Date(history.endMs).toISOString().slice(0, 10)}.jsonl`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: labelsKey, Body: `${text}\n` }));
  return { keys, labelsKey, labelsFile };
}
