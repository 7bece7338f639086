/** The spec and the engine: pure TypeScript, no AWS. */
export { ArrivalOrderError, inArrivalOrder, sortedByArrival } from './arrival-order.js';
export { ArrivalSweep } from './arrival-sweep.js';
export { canonicalJson } from './canonical-json.js';
export type { FeatureValue, Partial } from './engine/aggregates.js';
export { classifyBatch, duplicateOf, groupByItem, type ItemBatch } from './engine/batch.js';
export {
  classify,
  isRejection,
  itemKey,
  type Rejection,
  type RejectReason,
  type ValidEvent,
} from './engine/classify.js';
export { CleanPass } from './engine/clean-pass.js';
export { DedupeIndex, dedupeKeyOf } from './engine/dedupe.js';
export {
  type ColumnMarks,
  EntityState,
  type EntityStateJson,
  fingerprintsOf,
  type LegacyEntityStateJson,
  legacyLayoutOf,
  type ShardMarks,
} from './engine/entity-state.js';
export { parseEventTime } from './engine/event-time.js';
export { featureFingerprint, fingerprintOf } from './engine/feature-fingerprint.js';
export { murmur3 } from './engine/hash.js';
export { DistinctSketch } from './engine/hll.js';
export {
  CLAIM_BYTES,
  ITEM_BOUND_ASSUMPTIONS,
  ITEM_LIMIT_BYTES,
  itemBytesBound,
  itemSizeProblems,
  MAX_CLAIMS_PER_KEY,
} from './engine/item-size.js';
export {
  appliedLive,
  applyBackfill,
  applyLive,
  backfillCounts,
  type LiveOptions,
  markBorn,
  type ShardWatermark,
  type Watermarks,
} from './engine/item-update.js';
export { entityNamed, itemKeyOf, MemoryEngine, type Outcome, type Totals } from './engine/memory-engine.js';
export { compileFieldPath } from './field-path.js';
export { onceEach } from './once-each.js';
export { type FeatureMismatches, type Mismatch, PARITY_TOLERANCE, ParityTally, sameValue } from './parity.js';
export { type Lookup, type LookupAnswer, pointInTime, pointInTimeWith } from './point-in-time.js';
export { compareSequenceNumbers, type InputRecord } from './record.js';
export { checkQuery, type ReplayAnswer, type ReplayQuery, replay } from './replay.js';
export { defineSpec, SpecBuilder } from './spec/builders.js';
export { type CompiledEntity, type CompiledFeature, type CompiledSpec, compileSpec } from './spec/compile.js';
export { describeIssues, SpecError, valueAt } from './spec/errors.js';
export { parseSpec, parseSpecJson } from './spec/normalize.js';
export * from './spec/types.js';
export {
  type DefinitionChange,
  definitionChanges,
  describeDefinitionChanges,
  type SpecVersion,
  specHash,
  specVersionOf,
} from './spec-version.js';
export {
  keyBytesOver,
  lastValueBytesOver,
  MAX_KEY_BYTES,
  MAX_LAST_VALUE_BYTES,
  MAX_NAME_BYTES,
  utf8Bytes,
} from './store-limits.js';
export { type ItemDefinitions, itemDefinitions, type StoredDefinition } from './stored-definitions.js';

export {
  labelLookup,
  type PlanOptions,
  planTrainingSet,
  type TrainingColumn,
  type TrainingLabel,
  type TrainingPlan,
  trainingRow,
  trainingRows,
  trainingRowsInto,
} from './training-set.js';
