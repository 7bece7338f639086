/**
 * The demo's calls to the scoring API: SigV4-signed as an IAM caller signs them, a sample of the live events scored
 * after the stream drained, and the sampled events whose readability the steady phase times.
 */
import type { FraudLabel, GeneratedRecord } from '../examples/fraud/traffic-types.js';
import { type oneAtATime, PROBE_POLL_MS } from './demo-freshness.js';
import { signedPost as post } from './signed-post.js';

export const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
export const REGION = 'us-east-1';
/** Live events scored after the stream drained. */
export const SCORE_SAMPLE = 200;
/**
 * At most this share of the sample are fraud events. The live traffic is 0.5% fraud and most of each burst runs past
 * its short phases (cut, README Quick start), so an even sample of 200 would hold one fraud event or none, and the
 * monitor could compute no AUC from the labels.
 */
const FRAUD_SHARE = 0.25;

export interface ScoringResult {
  ok: number;
  latencies: number[];
  failures: string[];
  /** The model versions that answered. */
  versions: Set<string>;
  /** The requests answered, by the API's request id (its `apigw-requestid` header), with their events' labels. */
  scored: { readonly requestId: string; readonly label: FraudLabel }[];
}

/**
 * Scores SCORE_SAMPLE of the live events (every fraud event up to FRAUD_SHARE of them, the rest spread evenly over
 * the normal ones) with the features as they are now.
 */
export async function scoreSample(
  url: string,
  records: readonly GeneratedRecord[],
  labels: readonly FraudLabel[],
): Promise<ScoringResult> {
  const labelOf = new Map(labels.map((label) => [label.event_id, label]));
  const base = records.filter(
    (r) => r.eventId !== undefined && labelOf.has(r.eventId) && r.kind !== 'duplicate',
  );
  const fraud = base.filter((r) => r.kind === 'fraud').slice(0, Math.floor(SCORE_SAMPLE * FRAUD_SHARE));
  const normal = base.filter((r) => r.kind === 'normal');
  const wanted = Math.min(normal.length, SCORE_SAMPLE - fraud.length);
  const step = normal.length / Math.max(1, wanted);
  const chosen = [...fraud];
  for (let i = 0; i < wanted; i++) chosen.push(normal[Math.floor(i * step)] as GeneratedRecord);

  const result: ScoringResult = { ok: 0, latencies: [], failures: [], versions: new Set(), scored: [] };
  for (const record of chosen) {
    const label = labelOf.get(record.eventId as string) as FraudLabel;
    const body = scoringBody({ card_id: label.card_id, merchant_id: label.merchant_id });
    if (body === undefined) continue;
    const started = performance.now();
    const { status, text, requestId } = await signedPost(url, body);
    result.latencies.push(performance.now() - started);
    let answer: { score?: unknown; modelVersion?: unknown } = {};
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      // not JSON: counted as a failure below
    }
    if (typeof answer.modelVersion === 'string') result.versions.add(answer.modelVersion);
    if (status === 200 && typeof answer.score === 'number') {
      result.ok++;
      if (requestId !== undefined) result.scored.push({ requestId, label });
    } else result.failures.push(`${status} ${text.slice(0, 200)}`);
  }
  return result;
}

/** A scoring request for an event's card, merchant and card-merchant; none for an event without both keys. */
export function scoringBody(event: Record<string, unknown>): string | undefined {
  const { card_id: card, merchant_id: merchant } = event;
  if (typeof card !== 'string' || typeof merchant !== 'string' || card === '' || merchant === '')
    return undefined;
  return JSON.stringify({
    entities: {
      card: { card_id: card },
      merchant: { merchant_id: merchant },
      card_merchant: { card_id: card, merchant_id: merchant },
    },
  });
}

/** The scoring request for a generated record's event; none when it is not a JSON event with both keys. */
export function scoringBodyOf(record: GeneratedRecord): string | undefined {
  try {
    return scoringBody(JSON.parse(new TextDecoder().decode(record.data)) as Record<string, unknown>);
  } catch {
    return undefined;
  }
}

/**
 * A JSON POST to the HTTP API, SigV4-signed as an IAM caller would sign it; with the request id the API answers
 * in its `apigw-requestid` header (the id the scoring function logs).
 */
export async function signedPost(
  url: string,
  body: string,
): Promise<{ status: number; text: string; requestId?: string }> {
  const response = await post(new URL(url), body, { region: REGION, credentials: CREDENTIALS });
  const requestId = response.headers.get('apigw-requestid') ?? undefined;
  return { status: response.status, text: await response.text(), ...(requestId ? { requestId } : {}) };
}

/**
 * How long after its put an event is readable through the scoring API: its card's `card_txn_count_10m` polled
 * until it counts the event (the card has no earlier event, so a count of 1 is this one). Undefined if it never
 * does within a minute.
 */
export async function readableAfter(
  url: string,
  record: GeneratedRecord,
  sentAt: number,
  failures: string[],
  serial: ReturnType<typeof oneAtATime>,
): Promise<number | undefined> {
  const body = scoringBodyOf(record);
  if (body === undefined) return undefined;
  while (Date.now() < sentAt + 60_000) {
    const { status, text } = await serial(() => signedPost(url, body)).catch((error: unknown) => ({
      status: 0,
      text: String(error),
    }));
    if (status === 200) {
      const answer = JSON.parse(text) as { features?: Record<string, unknown> };
      const count = answer.features?.card_txn_count_10m;
      if (typeof count === 'number' && count >= 1) return Date.now() - sentAt;
    } else {
      failures.push(`${status} ${text.slice(0, 200)}`);
    }
    await new Promise((r) => setTimeout(r, PROBE_POLL_MS));
  }
  return undefined;
}
