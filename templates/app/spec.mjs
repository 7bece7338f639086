// The feature spec: what to compute, per entity, from the events on the stream. The typed builders check entity
// names; `npx streamfeatures spec check spec.mjs` validates it and `spec print spec.mjs` shows the normalized
// JSON the functions get. The full reference is in the streamfeatures README ("The feature spec").
import { defineSpec } from 'streamfeatures/spec';

export default defineSpec('payments', {
  // Event time: epoch ms, or ISO-8601 with a zone. Events without one are quarantined, never counted.
  timeField: 'ts',
  // Dedupe: an event id counted once within `dedupeHorizon` (default 24h).
  idField: 'event_id',
  // Events older than this on arrival are late (kept apart, not counted); default 5m.
  allowedLateness: '5m',
})
  // An entity is what features are kept per: its key fields, in order.
  .entity('card', 'card_id')
  .entity('merchant', 'merchant_id')
  // Windows: count, sum, avg, min, max, stddev, last, distinct over the last `window` of event time.
  .count('card_txn_count_10m', { entity: 'card', window: '10m', tile: '1m' })
  .sum('card_amount_sum_1h', { entity: 'card', field: 'amount', window: '1h', tile: '5m' })
  .avg('card_amount_avg_24h', { entity: 'card', field: 'amount', window: '24h', tile: '1h' })
  .distinct('card_distinct_merchants_24h', {
    entity: 'card',
    field: 'merchant_id',
    window: '24h',
    tile: '1h',
  })
  // A filter: only the events whose field matches count.
  .count('merchant_declines_1h', {
    entity: 'merchant',
    window: '1h',
    tile: '5m',
    where: { field: 'status', eq: 'declined' },
  });
