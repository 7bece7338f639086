import { compareSequenceNumbers, type InputRecord } from '../record.js';
import type { ValidEvent } from './classify.js';
import type { ColumnMarks, EntityState, ShardMarks } from './entity-state.js';

/**
 * The rules by which live traffic and a backfill update one online-store item, exactly once in effect, while both
 * write the same items (pure: the store reads and writes the item around them).
 *
 * An item keeps, per shard, the last record it applied (`sequenceNumber`) and the first one it applied since it
 * was created (`firstSequenceNumber`). Each feature's partials ("column") may carry marks (ColumnMarks):
 * - born `w0`: the item's watermarks when the column was created in an item that held others (a feature added or
 *   changed by a spec change). Live traffic counted into the column exactly the records applied to the item after
 *   that: past `w0[shard]`, or, for a shard `w0` lacks, from the item's first record of that shard on.
 * - backfilled `b`: the last archive record of the shard a backfill counted into the column.
 *
 * Live: a record past the item's watermark is applied to every column, but not to a column whose `b` already
 * reached it (a backfill ran ahead of live traffic on that shard).
 * Backfill: an archive record counts into a column when past the column's `b` and not counted live: at or before
 * `w0[shard]` when `w0` names the shard; else before the item's first record of the shard; else (live traffic has
 * not reached the item on that shard) always, and live skips it later by `b`.
 * Together: every record counted into a column once, by one of them, whichever runs first.
 */

export interface ShardWatermark {
  readonly sequenceNumber: string;
  readonly arrivalMs: number;
  /** The first record of the shard applied since the item was created; unknown for items written before. */
  readonly firstSequenceNumber?: string | undefined;
}

export type Watermarks = ReadonlyMap<string, ShardWatermark>;

/** True when the item has applied this record already (live traffic). */
export function appliedLive(watermarks: Watermarks, record: InputRecord): boolean {
  const mark = watermarks.get(record.shardId);
  return mark !== undefined && compareSequenceNumbers(record.sequenceNumber, mark.sequenceNumber) <= 0;
}

/**
 * Gives the columns the stored state lacked their born marks: the item's watermarks now. Call before applying
 * anything to a revived state. A fresh item (no watermarks) needs none.
 */
export function markBorn(state: EntityState, watermarks: Watermarks): void {
  if (watermarks.size === 0 || state.unrevived.length === 0) return;
  const w0: ShardMarks = {};
  // The latest arrival of any record the marks cover (the state's own may be unknown: an unreadable layout).
  let t = state.maxArrival;
  for (const [shard, mark] of watermarks) {
    w0[shard] = mark.sequenceNumber;
    t = Math.max(t, mark.arrivalMs);
  }
  for (const position of state.unrevived) state.marks[position] = { w0: { ...w0 }, t };
  state.unrevived.length = 0;
}

/**
 * Drops born marks no backfill needs any more: the records they set apart arrived by `t`, so once the item's
 * latest arrival is past `t` by the feature's window, a tile, lateness and skew, those records are in no window a
 * read can ask for (and a backfill that then skips them changes no value).
 */
function dropSpentBornMarks(state: EntityState, latenessMs: number): void {
  state.marks.forEach((marks, position) => {
    if (marks?.w0 === undefined || marks.t === undefined) return;
    const { feature } = state.entity.features[position] as (typeof state.entity.features)[number];
    if (state.maxArrival - marks.t <= feature.windowMs + feature.tileMs + latenessMs) return;
    const { w0: _, t: __, ...rest } = marks;
    state.marks[position] = rest.b ? rest : undefined;
  });
}

export interface LiveOptions {
  /** Watermarks of shards silent this long before the item's latest arrival are dropped. */
  readonly retentionMs: number;
  /** The spec's allowed lateness plus its future skew: how far an event's time can be from its arrival. */
  readonly latenessMs: number;
}

/**
 * Applies live records (in shard order) to a revived item: the records past its watermarks, each into every column
 * a backfill has not already counted it into. Returns the records applied and the item's next watermarks.
 */
export function applyLive(
  state: EntityState,
  watermarks: Watermarks,
  events: readonly ValidEvent[],
  { retentionMs, latenessMs }: LiveOptions,
): { applied: ValidEvent[]; watermarks: Map<string, ShardWatermark> } {
  const applied = events.filter((event) => !appliedLive(watermarks, event.record));
  const next = new Map(watermarks);
  if (applied.length === 0) return { applied, watermarks: next };
  markBorn(state, watermarks);
  const backfilled = state.marks.some((marks) => marks?.b !== undefined);
  for (const event of applied) {
    if (backfilled) state.apply(event, liveColumns(state, event.record));
    else state.apply(event);
  }
  state.settle(state.maxArrival);
  dropSpentBornMarks(state, latenessMs);
  for (const event of applied) {
    const { shardId, sequenceNumber } = event.record;
    const mark = next.get(shardId);
    if (!mark)
      next.set(shardId, { sequenceNumber, arrivalMs: event.alpha, firstSequenceNumber: sequenceNumber });
    else if (compareSequenceNumbers(sequenceNumber, mark.sequenceNumber) > 0) {
      next.set(shardId, { ...mark, sequenceNumber, arrivalMs: event.alpha });
    }
  }
  for (const [shard, mark] of next) {
    if (mark.arrivalMs < state.maxArrival - retentionMs) next.delete(shard);
  }
  return { applied, watermarks: next };
}

/** The columns a live record counts into: all but those a backfill already counted it into. */
function liveColumns(state: EntityState, record: InputRecord): Uint8Array {
  const mask = new Uint8Array(state.marks.length).fill(1);
  state.marks.forEach((marks, position) => {
    const reached = marks?.b?.[record.shardId];
    if (reached !== undefined && compareSequenceNumbers(record.sequenceNumber, reached) <= 0)
      mask[position] = 0;
  });
  return mask;
}

/**
 * Applies archive records (valid, deduped, in arrival order) to the given columns (spec positions) of a revived
 * item, each where live traffic did not count it and no backfill did before. Returns how many record-column
 * pairs counted. Leaves the item's watermarks alone.
 */
export function applyBackfill(
  state: EntityState,
  watermarks: Watermarks,
  events: readonly ValidEvent[],
  positions: readonly number[],
): number {
  markBorn(state, watermarks);
  let counted = 0;
  const mask = new Uint8Array(state.marks.length);
  for (const event of events) {
    mask.fill(0);
    let any = false;
    for (const position of positions) {
      if (backfillCounts(state.marks[position], watermarks, event.record)) {
        mask[position] = 1;
        any = true;
      }
    }
    if (!any) continue;
    state.apply(event, mask);
    const { shardId, sequenceNumber } = event.record;
    for (const position of positions) {
      if (mask[position] !== 1) continue;
      const marks: ColumnMarks = state.marks[position] ?? {};
      marks.b = { ...marks.b, [shardId]: sequenceNumber };
      state.marks[position] = marks;
      counted++;
    }
  }
  state.settle(state.maxArrival);
  return counted;
}

/** Whether a backfill counts this archive record into a column with these marks (see the rules above). */
export function backfillCounts(
  marks: ColumnMarks | undefined,
  watermarks: Watermarks,
  record: InputRecord,
): boolean {
  const { shardId, sequenceNumber } = record;
  const reached = marks?.b?.[shardId];
  if (reached !== undefined && compareSequenceNumbers(sequenceNumber, reached) <= 0) return false;
  const born = marks?.w0?.[shardId];
  if (born !== undefined) return compareSequenceNumbers(sequenceNumber, born) <= 0;
  const mark = watermarks.get(shardId);
  if (mark === undefined) return true;
  // Records from the item's first of this shard on are live traffic's (applied already, or to come). An item
  // written before first marks were kept cannot say where that began: none of its shard's records are backfilled.
  if (mark.firstSequenceNumber === undefined) return false;
  return compareSequenceNumbers(sequenceNumber, mark.firstSequenceNumber) < 0;
}
