import {
  appliedLive,
  MAX_CLAIMS_PER_KEY,
  murmur3,
  type ValidEvent,
  type Watermarks,
} from '../../core/index.js';

/**
 * Id claims kept in the item of an event's `event.dedupeScope` key (the card's item in the fraud example), written
 * in the same conditional put as its tiles, so the dedupe costs no write of its own. Every copy of an event meets
 * in that item: the stream is partitioned by the scope entity, and the item is written under optimistic locking.
 *
 * Stored as one string attribute `c`: `<since>;<claim>,<claim>…` in arrival order, each claim
 * `<id hash>.<arrival>.<record hash>` in base 36 (about 25 bytes; in a packed item about 13, item-payload.ts): a 48-bit hash of the id, the arrival of the record that counted it, and a 32-bit hash
 * of that record (shard, sequence number), which tells a redelivery of the counting record from another copy.
 * A claim is kept while a record of a write (or of its retry) could be decided against it: until the earliest
 * arrival a write brings is past it by the horizon; a claim another copy superseded (past the horizon) is kept as
 * long, so a redelivery of the record that held it still finds it. `since` is 0 for an item that kept claims from its
 * creation; for an item written before the scoped rule, the arrival of its first claim: until the horizon has
 * passed it, ids counted before live in the id ledger, which is consulted too (legacy claims).
 *
 * Hash collisions: two ids of one key within one horizon share a 48-bit hash with odds of about n²/2⁴⁹ (n ids);
 * a redelivered duplicate mistaken for the counting record needs a 32-bit collision as well.
 */

interface Claim {
  readonly hash: string;
  readonly alpha: number;
  readonly record: string;
}

/** A claim the id ledger holds for an id (written before the scoped rule). */
export interface LedgerClaim {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly alpha: number;
}

export class ClaimsNeedLedger extends Error {
  constructor(readonly key: string) {
    super(`online-store item ${key} predates scoped id claims: the id ledger must be consulted`);
  }
}

export interface ClaimDecisions {
  /** Events that count (or counted, on a redelivery), in batch order. */
  readonly counted: ValidEvent[];
  readonly duplicates: ValidEvent[];
  /** The item's next `c`. */
  readonly claims: string;
  /** True when an event not yet applied counts: the item must be written. */
  readonly changed: boolean;
}

function idHash(id: string): string {
  const high = murmur3(id, 0x5eed) & 0xffff;
  return (high * 2 ** 32 + murmur3(id)).toString(36);
}

function recordHash(event: ValidEvent): string {
  return murmur3(`${event.record.shardId}\u0000${event.record.sequenceNumber}`).toString(36);
}

function parse(text: string | undefined): { since: number | undefined; claims: Claim[] } {
  const claims: Claim[] = [];
  if (text === undefined) return { since: undefined, claims };
  const [since = '0', list = ''] = text.split(';');
  for (const entry of list ? list.split(',') : []) {
    const [hash = '', alpha = '0', record = ''] = entry.split('.');
    claims.push({ hash, alpha: Number.parseInt(alpha, 36), record });
  }
  return { since: Number.parseInt(since, 36), claims };
}

function format(since: number, claims: readonly Claim[]): string {
  const list = claims.map((c) => `${c.hash}.${c.alpha.toString(36)}.${c.record}`);
  return `${since.toString(36)};${list.join(',')}`;
}

/** Whether deciding these events against this stored item needs the id ledger's claims (see `since`). */
export function needsLedger(
  stored: { readonly claims?: string | undefined } | undefined,
  events: readonly ValidEvent[],
  horizonMs: number,
): boolean {
  if (!stored) return false;
  const { since } = parse(stored.claims);
  if (since === undefined) return true;
  return since > 0 && events.some((event) => event.alpha - since <= horizonMs);
}

/**
 * Decides the events of one scope item (in shard order) against its stored claims, the way the in-memory dedupe
 * does (core/engine/dedupe.ts): an id claimed within the horizon by another record is a duplicate; the first
 * arrival counts and claims it. `applied` says whether the item already applied a record (its watermarks): a
 * redelivered record counted if its id's claim names it. Throws ClaimsNeedLedger when the item predates the
 * scoped rule and no ledger claims were given.
 */
export function decideClaims(
  key: string,
  stored: { readonly claims?: string | undefined } | undefined,
  watermarks: Watermarks,
  events: readonly ValidEvent[],
  horizonMs: number,
  ledger: ReadonlyMap<string, LedgerClaim> | undefined,
): ClaimDecisions {
  if (!ledger && needsLedger(stored, events, horizonMs)) throw new ClaimsNeedLedger(key);
  const parsed = parse(stored?.claims);
  const since = parsed.since ?? (stored ? (events[0]?.alpha ?? 0) : 0);
  const claims = parsed.claims;
  const counted: ValidEvent[] = [];
  const duplicates: ValidEvent[] = [];
  let changed = false;
  for (const event of events) {
    const id = event.id as string;
    const hash = idHash(id);
    const record = recordHash(event);
    const applied = appliedLive(watermarks, event.record);
    const mine = claims.filter((c) => c.hash === hash);
    // The claim in force when the event arrived: the latest one of its id before it.
    const before = mine.filter((c) => c.alpha <= event.alpha && !(applied && c.record === record));
    const inForce = before.reduce<Claim | undefined>((a, c) => (a && a.alpha >= c.alpha ? a : c), undefined);
    const legacy = ledger?.get(id);
    if (applied && mine.some((c) => c.record === record)) counted.push(event);
    else if (inForce && event.alpha - inForce.alpha <= horizonMs) duplicates.push(event);
    else if (legacy && event.alpha - legacy.alpha <= horizonMs) {
      const same =
        legacy.shardId === event.record.shardId && legacy.sequenceNumber === event.record.sequenceNumber;
      if (same) counted.push(event);
      else duplicates.push(event);
    } else {
      counted.push(event);
      // A record applied without a claim in reach counted before claims were kept here: the other items'
      // watermarks keep it from counting twice there.
      if (!applied) {
        claims.push({ hash, alpha: event.alpha, record });
        changed = true;
      }
    }
  }
  // Keep every claim a record of this write (or a retry of it, which starts no later) could be decided against:
  // superseded claims too, so a redelivered record still finds its own.
  const earliest = Math.min(Number.POSITIVE_INFINITY, ...events.map((event) => event.alpha));
  const kept = events.length === 0 ? claims : claims.filter((claim) => claim.alpha >= earliest - horizonMs);
  if (kept.length > MAX_CLAIMS_PER_KEY) {
    throw new Error(
      `online-store item ${key} counted ${kept.length} events within the dedupe horizon, over the ` +
        `${MAX_CLAIMS_PER_KEY} a key of event.dedupeScope may (the item size bound counts on it)`,
    );
  }
  // In arrival order (a claim's place in the list decides nothing): the packed form stores arrivals as gaps
  // (item-payload.ts), and keeps claims out of order as text.
  kept.sort((a, b) => a.alpha - b.alpha);
  const latest = Math.max(0, ...kept.map((c) => c.alpha));
  // Once the horizon has passed the first claim, every id in reach is claimed here: the ledger is done with.
  const complete = since > 0 && latest - since > horizonMs ? 0 : since;
  return { counted, duplicates, claims: format(complete, kept), changed };
}
