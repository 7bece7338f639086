/**
 * Two versions of one spec, for the event-schema evolution tests: B widens `qty` from int to double and makes it a
 * feature's input, makes `channel` a feature's input, and declares a new optional field `tip`.
 */
import { parseSpec } from '../../core/index.js';

export const specA = parseSpec({
  version: 1,
  name: 'orders',
  event: { timeField: 'ts', idField: 'event_id', fields: { qty: 'int' } },
  entities: { card: ['card_id'] },
  features: [
    { name: 'card_orders_2h', entity: 'card', agg: 'count', window: '2h', tile: '5m' },
    { name: 'card_amount_sum_2h', entity: 'card', agg: 'sum', field: 'amount', window: '2h', tile: '5m' },
  ],
});
export const specB = parseSpec({
  ...specA,
  event: { ...specA.event, fields: { qty: 'double', tip: 'double', channel: 'string' } },
  features: [
    ...specA.features,
    { name: 'card_qty_sum_2h', entity: 'card', agg: 'sum', field: 'qty', window: '2h', tile: '5m' },
    { name: 'card_channels_2h', entity: 'card', agg: 'distinct', field: 'channel', window: '2h', tile: '5m' },
  ],
});
