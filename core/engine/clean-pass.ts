import type { InputRecord } from '../record.js';
import type { CompiledSpec } from '../spec/compile.js';
import { duplicateOf } from './batch.js';
import { classify, isRejection, type Rejection, type ValidEvent } from './classify.js';
import { DedupeIndex, dedupeKeyOf } from './dedupe.js';

/** How long a record's shard and sequence number are remembered to skip its redelivery (every copy has one α). */
const REDELIVERY_HORIZON_MS = 60_000;

/**
 * What one clean pass of a spec decides for each record, fed in arrival order: counted (a valid event) or set aside
 * with a reason: invalid, future, late, a duplicate id within the dedupe horizon (first arrival wins), or a
 * redelivered record (same shard and sequence number). The in-memory engine and the backfill both decide with it,
 * so a backfill counts exactly the events the replay (and the online store) count.
 */
export class CleanPass {
  private readonly dedupe: DedupeIndex | undefined;
  private readonly taken = new DedupeIndex(REDELIVERY_HORIZON_MS);

  constructor(readonly spec: CompiledSpec) {
    this.dedupe = spec.getId ? new DedupeIndex(spec.dedupeHorizonMs) : undefined;
  }

  decide(record: InputRecord): ValidEvent | Rejection {
    if (this.taken.isDuplicate(`${record.shardId}\u0000${record.sequenceNumber}`, record.arrivalMs)) {
      return redeliveryOf(record);
    }
    const event = classify(this.spec, record);
    if (isRejection(event)) return event;
    const key = dedupeKeyOf(this.spec, event);
    if (key !== undefined && this.dedupe?.isDuplicate(key, event.alpha)) return duplicateOf(event);
    return event;
  }

  /** Forgets ids and records no later record can repeat within its horizon. */
  prune(nowMs: number): void {
    this.dedupe?.prune(nowMs);
    this.taken.prune(nowMs);
  }
}

function redeliveryOf(record: InputRecord): Rejection {
  return {
    record,
    reason: 'duplicate',
    rule: 'redelivered',
    message: `record ${record.shardId}/${record.sequenceNumber} was already taken`,
  };
}
