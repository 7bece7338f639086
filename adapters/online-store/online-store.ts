import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type CompiledEntity,
  type CompiledSpec,
  classifyBatch,
  compareSequenceNumbers,
  duplicateOf,
  type FeatureValue,
  groupByItem,
  type InputRecord,
  type ItemBatch,
  itemSizeProblems,
  type LiveOptions,
  type Rejection,
  type ValidEvent,
} from '../../core/index.js';
import { mapSettled } from '../concurrency.js';
import { CapacityMeter } from './capacity.js';
import { ClaimsNeedLedger, needsLedger } from './id-claims.js';
import { IdLedger } from './id-ledger.js';
import { ItemCache } from './item-cache.js';
import { batchGetItems } from './item-reads.js';
import {
  backfillChange,
  type ItemWriterOptions,
  liveChange,
  type ScopedChange,
  scopedLiveChange,
  type WriteOutcome,
  writeItem,
} from './item-writer.js';
import { mergedState, readStoredKeys, type StoredItemsOptions } from './stored-items.js';
import { fromAttributes } from './tile-item.js';
import { splitBySlot } from './writer-slots.js';

/**
 * What a read unit costs in write units: DynamoDB's us-east-1 prices, on demand (0.125 and 0.625 USD a million)
 * and provisioned (0.00013 and 0.00065 USD an hour) alike.
 */
const READ_UNIT_IN_WRITE_UNITS = 0.2;

/**
 * Read uncached items before writing them while more than this share of them exist (see existingShare), set by
 * dollars. Reading first costs every uncached key half a read unit (eventually consistent, up to 4 KB), found or
 * not; writing blind costs each key that exists a refused put (a write unit at least) and a consistent re-read (a
 * read unit), and those that do not exist nothing. Reading first pays while share × (1 + r) > 0.5 × r, r a read
 * unit's price in write units: above 1/12 of the keys. (It was a quarter: the same sum counted in units, as if a
 * read unit cost as much as a write unit.)
 */
const READ_FIRST_ABOVE = (0.5 * READ_UNIT_IN_WRITE_UNITS) / (1 + READ_UNIT_IN_WRITE_UNITS);

/**
 * How much one batch's observed share moves existingShare. A half: a fresh instance (its estimate at a half) on new
 * traffic reads first for three batches (estimates 0.5, 0.25, 0.125; then 0.0625, blind), one more than with a
 * quarter as the threshold and 0.3 as the weight; at 0.3 and 1/12 it would read first for six. A batch of all-new
 * items moves an estimate of the steady state's share (about a half) to a quarter, still reading first.
 */
const SHARE_LEARNING_WEIGHT = 0.5;

export interface OnlineStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly spec: CompiledSpec;
  /** @default false - eventually consistent feature reads, half the read units */
  readonly consistentReads?: boolean;
  /** Items kept in memory between batches, saving the read before a write. @default 20000 */
  readonly cacheItems?: number;
  /** DynamoDB calls in flight at once. @default 32 */
  readonly concurrency?: number;
  /** How long a shard's watermark outlives its last write; keep it above the stream's retention. @default 7 days */
  readonly watermarkRetentionMs?: number;
  /** Where consumed capacity is added up. @default - a meter of the store's own */
  readonly meter?: CapacityMeter;
}

export interface ApplyResult {
  /** Events that counted (or had counted, on a redelivery), before the first record to retry. */
  readonly counted: ValidEvent[];
  /** Records set aside with their reason, before the first record to retry. */
  readonly rejected: Rejection[];
  /** Per shard, the first record that must come again (Lambda's partial batch response); empty when all is done. */
  readonly retryFrom: InputRecord[];
  /** What made those records fail. */
  readonly errors: unknown[];
}

export interface EntityKeyRequest {
  readonly entity: string;
  readonly key: Readonly<Record<string, unknown>>;
}

/**
 * The online store on DynamoDB: one item per entity key holding its tiles (see tile-item.ts; an entity several
 * shards write, one per writer slot, see writer-slots.ts), written once per batch, exactly once in effect; feature
 * vectors read in one BatchGetItem.
 */
export class OnlineStore {
  readonly meter: CapacityMeter;
  private readonly spec: CompiledSpec;
  private readonly ledger: IdLedger | undefined;
  private readonly writer: ItemWriterOptions;
  private readonly concurrency: number;
  /**
   * Of the items a batch touches that the cache lacks, the share that exist in the table, smoothed over batches.
   * Reading them first costs half a read unit a key, found or not; writing blind costs a refused put and a read
   * for each that exists (READ_FIRST_ABOVE weighs them in dollars).
   */
  private existingShare = 0.5;

  constructor(private readonly options: OnlineStoreOptions) {
    const oversized = itemSizeProblems(options.spec);
    if (oversized.length > 0) throw new Error(`online store: ${oversized.join('; ')}`);
    this.spec = options.spec;
    this.meter = options.meter ?? new CapacityMeter();
    this.concurrency = options.concurrency ?? 32;
    this.ledger = options.spec.getId
      ? new IdLedger(options.client, options.tableName, options.spec.dedupeHorizonMs, this.meter)
      : undefined;
    this.writer = {
      client: options.client,
      tableName: options.tableName,
      spec: options.spec,
      cache: new ItemCache(options.cacheItems ?? 20_000),
      meter: this.meter,
      watermarkRetentionMs: options.watermarkRetentionMs ?? 7 * 86_400_000,
    };
  }

  /**
   * Applies a batch of records (in shard order). Safe to call again with the same records, or with a batch that
   * overlaps one applied before in part: nothing counts twice. On a failure, records from `retryFrom` on (per
   * shard) were not all applied and must come again; everything before them is done.
   */
  async applyBatch(records: readonly InputRecord[]): Promise<ApplyResult> {
    const { events, rejected } = classifyBatch(this.spec, records);
    if (this.spec.getId && this.spec.dedupeScope !== undefined) return this.applyScoped(events, rejected);
    const failures: { record: InputRecord; error: unknown }[] = [];
    const counted: ValidEvent[] = [];

    if (this.ledger) {
      const claims = await this.ledger.claimAll(events, this.concurrency);
      claims.forEach((claim, i) => {
        const event = events[i] as ValidEvent;
        if (claim.status === 'failed') failures.push({ record: event.record, error: claim.error });
        else if (claim.status === 'counted') counted.push(event);
        else rejected.push(duplicateOf(event));
      });
    } else counted.push(...events);

    // A record whose claim failed must come again, and so must every later record of its shard: an item may
    // only take a record after all earlier records of that shard bound for it.
    const firstClaimFailure = earliestPerShard(failures.map((f) => f.record));
    const applicable = counted.filter((event) => isBefore(event.record, firstClaimFailure));
    const items = splitBySlot(this.spec, [...groupByItem(this.spec, applicable).values()]);
    const blind = !(await this.prefetch(items.map((item) => item.key)));
    const writes = await this.writeLive(items);
    if (blind) this.learnFromBlindWrites(writes);
    return this.result(items, writes, counted, rejected, failures);
  }

  /**
   * A batch under `event.dedupeScope`: the scope entity's items (one per key; never split by writer slot, as the
   * stream is partitioned by that entity) decide their events against the id claims they keep and apply the
   * counted ones in the same put (id-claims.ts); then the other items take the counted events. No ledger write.
   */
  private async applyScoped(events: ValidEvent[], rejected: Rejection[]): Promise<ApplyResult> {
    const scope = this.spec.entities[this.spec.dedupeScope as number] as CompiledEntity;
    const failures: { record: InputRecord; error: unknown }[] = [];
    const grouped = [...groupByItem(this.spec, events).values()];
    let blind: boolean;
    try {
      blind = !(await this.prefetch(splitBySlot(this.spec, grouped).map((item) => item.key)));
    } catch (error) {
      // Nothing was decided (the table cannot be read): every shard comes again from its first event.
      return this.result(
        [],
        [],
        [],
        rejected,
        events.map((event) => ({ record: event.record, error })),
      );
    }
    const scopeItems = grouped.filter((item) => item.entity === scope);
    const horizon = this.spec.dedupeHorizonMs;
    const live = this.liveOptions();

    // Items written before the scoped rule: the ledger knows the ids they counted within the horizon.
    const ledgerFor = async (items: readonly ItemBatch[]) => {
      const ids = items.flatMap((item) => item.events.map((event) => event.id as string));
      return ids.length > 0 && this.ledger ? await this.ledger.lookup(ids) : undefined;
    };
    const known = scopeItems.filter((item) =>
      needsLedger(this.writer.cache.get(item.key), item.events, horizon),
    );
    const ledger = await ledgerFor(known);
    let changes = scopeItems.map((item) => scopedLiveChange(item, live, horizon, ledger));
    let writes = await mapSettled(changes, this.concurrency, (change) => writeItem(this.writer, change));
    const unknown = scopeItems.filter((_, i) => isLedgerNeeded(writes[i]));
    if (unknown.length > 0) {
      const more = await ledgerFor(unknown);
      const retried = new Set(unknown);
      changes = scopeItems.map((item, i) =>
        retried.has(item) ? scopedLiveChange(item, live, horizon, more) : (changes[i] as ScopedChange),
      );
      const again = await mapSettled(
        changes.filter((_, i) => retried.has(scopeItems[i] as ItemBatch)),
        this.concurrency,
        (change) => writeItem(this.writer, change),
      );
      writes = writes.map((write) => (isLedgerNeeded(write) ? (again.shift() as typeof write) : write));
    }

    const countedSet = new Set<ValidEvent>();
    writes.forEach((write, i) => {
      const item = scopeItems[i] as ItemBatch;
      const decisions = (changes[i] as ScopedChange).decisions;
      if (write.status === 'rejected' || !decisions) {
        const error = write.status === 'rejected' ? write.reason : new Error(`no decision for ${item.key}`);
        for (const event of item.events) failures.push({ record: event.record, error });
        return;
      }
      for (const event of decisions.counted) countedSet.add(event);
      for (const event of decisions.duplicates) rejected.push(duplicateOf(event));
    });
    const counted = events.filter((event) => countedSet.has(event));

    // As with ledger claims: after a scope item fails, its shard's later records wait for the retry.
    const firstFailure = earliestPerShard(failures.map((f) => f.record));
    const applicable = counted.filter((event) => isBefore(event.record, firstFailure));
    const others = splitBySlot(
      this.spec,
      [...groupByItem(this.spec, applicable).values()].filter((item) => item.entity !== scope),
    );
    const otherWrites = await this.writeLive(others);
    if (blind) this.learnFromBlindWrites([...writes, ...otherWrites]);
    return this.result(others, otherWrites, counted, rejected, failures);
  }

  private liveOptions(): LiveOptions {
    return {
      retentionMs: this.writer.watermarkRetentionMs,
      latenessMs: this.spec.allowedLatenessMs + this.spec.maxFutureSkewMs,
    };
  }

  private writeLive(items: readonly ItemBatch[]): Promise<PromiseSettledResult<WriteOutcome>[]> {
    const live = this.liveOptions();
    return mapSettled(items, this.concurrency, (item) => writeItem(this.writer, liveChange(item, live)));
  }

  /** What a batch did: its writes' failures added to those before them, cut per shard at the first. */
  private result(
    items: readonly ItemBatch[],
    writes: readonly PromiseSettledResult<WriteOutcome>[],
    counted: readonly ValidEvent[],
    rejected: readonly Rejection[],
    failures: { record: InputRecord; error: unknown }[],
  ): ApplyResult {
    writes.forEach((write, i) => {
      if (write.status === 'fulfilled') return;
      for (const event of (items[i] as ItemBatch).events)
        failures.push({ record: event.record, error: write.reason });
    });
    const retryFrom = earliestPerShard(failures.map((f) => f.record));
    return {
      counted: counted.filter((event) => isBefore(event.record, retryFrom)),
      rejected: rejected.filter((rejection) => isBefore(rejection.record, retryFrom)),
      retryFrom: [...retryFrom.values()],
      errors: [...new Set(failures.map((f) => f.error))],
    };
  }

  /**
   * Backfills the named features from archive events (valid and deduped, in arrival order, as a clean pass of the
   * spec decides them): each item gets each event into those features where live traffic did not count it and no
   * backfill did before (core/engine/item-update.ts), so it can run while live traffic writes the same items and be
   * run again. Other features are left as they are. Throws on a write that fails; what was written stays written.
   */
  async backfill(
    events: readonly ValidEvent[],
    featureNames: readonly string[],
  ): Promise<{ items: number; changed: number }> {
    const wanted = new Set(featureNames);
    const positions = this.spec.entities.map((entity) =>
      entity.features.flatMap(({ feature }, position) => (wanted.has(feature.name) ? [position] : [])),
    );
    const items = splitBySlot(
      this.spec,
      [...groupByItem(this.spec, events).values()].filter(
        (item) => (positions[this.spec.entities.indexOf(item.entity)] ?? []).length > 0,
      ),
    );
    const blind = !(await this.prefetch(items.map((item) => item.key)));
    const writes = await mapSettled(items, this.concurrency, (item) =>
      writeItem(
        this.writer,
        backfillChange(
          item.key,
          item.entity,
          item.events,
          positions[this.spec.entities.indexOf(item.entity)] as number[],
        ),
      ),
    );
    if (blind) this.learnFromBlindWrites(writes);
    const failed = writes.find((write) => write.status === 'rejected');
    if (failed) throw failed.reason;
    return {
      items: items.length,
      changed: writes.filter((write) => write.status === 'fulfilled' && write.value.applied).length,
    };
  }

  /**
   * Feature values of several entity keys as of t (default now), in one BatchGetItem round trip
   * (up to 100 keys; more are read in parallel calls; an entity written by several shards is read as its writer
   * slots' items, see writer-slots.ts). Values come back in request order.
   */
  async readFeatures(
    requests: readonly EntityKeyRequest[],
    t: number = Date.now(),
  ): Promise<Record<string, FeatureValue>[]> {
    const stored = await readStoredKeys(this.readOptions(), requests);
    return stored.map((key) => mergedState(key).read(t));
  }

  /** How readers of this store's items reach them (stored-items.ts). */
  readOptions(): StoredItemsOptions {
    const { client, tableName, consistentReads } = this.options;
    return { client, tableName, spec: this.spec, meter: this.meter, consistent: consistentReads ?? false };
  }

  /**
   * One read round for the items the cache does not hold, unless most such items have lately turned out not to
   * exist: then they are written blind (created on condition that they do not exist). False when it wrote blind:
   * the writes' outcomes then teach what the read would have (learnFromBlindWrites).
   */
  private async prefetch(keys: readonly string[]): Promise<boolean> {
    const missing = keys.filter((key) => !this.writer.cache.has(key));
    if (missing.length === 0) return true;
    if (this.existingShare < READ_FIRST_ABOVE) return false;
    const found = await batchGetItems(this.options.client, this.options.tableName, missing, this.meter);
    for (const attributes of found.values()) this.writer.cache.set(fromAttributes(attributes));
    this.learnExistingShare(found.size / missing.length);
    return true;
  }

  /**
   * Writes made without a read say as much as a read would: an item created blind did not exist, one whose blind
   * create was refused did. Without this the share, once below the threshold, could never rise again, and a
   * store whose items have come to exist (a day into traffic) would keep paying a refused put and a re-read each.
   */
  private learnFromBlindWrites(writes: readonly PromiseSettledResult<WriteOutcome>[]): void {
    let blind = 0;
    let existed = 0;
    for (const write of writes) {
      if (write.status !== 'fulfilled' || write.value.blindCreate === undefined) continue;
      blind++;
      if (write.value.blindCreate === 'existed') existed++;
    }
    if (blind > 0) this.learnExistingShare(existed / blind);
  }

  private learnExistingShare(observed: number): void {
    this.existingShare = (1 - SHARE_LEARNING_WEIGHT) * this.existingShare + SHARE_LEARNING_WEIGHT * observed;
  }
}

function isLedgerNeeded(write: PromiseSettledResult<WriteOutcome> | undefined): boolean {
  return write?.status === 'rejected' && write.reason instanceof ClaimsNeedLedger;
}

function earliestPerShard(records: readonly InputRecord[]): Map<string, InputRecord> {
  const earliest = new Map<string, InputRecord>();
  for (const record of records) {
    const current = earliest.get(record.shardId);
    if (!current || compareSequenceNumbers(record.sequenceNumber, current.sequenceNumber) < 0) {
      earliest.set(record.shardId, record);
    }
  }
  return earliest;
}

function isBefore(record: InputRecord, cut: ReadonlyMap<string, InputRecord>): boolean {
  const first = cut.get(record.shardId);
  return !first || compareSequenceNumbers(record.sequenceNumber, first.sequenceNumber) < 0;
}
