/** Section 6 of the bench's report: the steady-state figures as text. */
import { PRICES, type SteadyStateResult } from './steady-state.js';
import { int, num, renderTable, verdict } from './table.js';

/** Section 6 of the report: the day-7 figures per event beside the target, and what they cost. */
export function renderSteadyState(
  result: SteadyStateResult,
  beside: { emptyTable?: { label: string; writes: number; reads: number }[]; naiveWritesPerEvent?: number },
): string[] {
  const { world, writeUnitsPerEvent: w, readUnitsPerEvent: r } = result;
  const rows: (string | number)[][] = [
    [
      `steady state, day ${world.days}`,
      num(w.total),
      num(w.tiles),
      num(w.ledger),
      num(w.refused),
      num(r.total),
      `$${num(result.usdPerMillionEvents)}`,
    ],
  ];
  for (const empty of beside.emptyTable ?? []) {
    rows.push([
      empty.label,
      num(empty.writes),
      '',
      '',
      '',
      num(empty.reads),
      `$${num(1e6 * (empty.writes * PRICES.writeRequestUnitUsd + empty.reads * PRICES.readRequestUnitUsd))}`,
    ]);
  }
  if (beside.naiveWritesPerEvent !== undefined) {
    const n = beside.naiveWritesPerEvent;
    rows.push([
      'naive writer (empty table)',
      num(n),
      '',
      '',
      '',
      '0.00',
      `$${num(1e6 * n * PRICES.writeRequestUnitUsd)}`,
    ]);
  }
  const sizes = Object.entries(result.itemBytes).map(([entity, s]) => [
    entity,
    int(s.items),
    int(s.p50),
    int(s.p90),
    int(s.p99),
    int(s.max),
    `${Math.round(100 * (result.packing.packedShareByEntity[entity] ?? 0))}%`,
    num(result.tilePutsPerEventByEntity[entity] ?? 0),
    num(result.tileOwnSizeWriteUnitsPerEventByEntity[entity] ?? 0),
    num(result.tileWriteUnitsPerEventByEntity[entity] ?? 0),
  ]);
  return [
    `6. Steady-state online-store cost: day ${world.days} of a week of fraud traffic (${int(world.eventsPerDay)} events a day, ` +
      `${int(world.cards)} cards, ${int(world.merchants)} merchants) on ${world.shards} shards, one OnlineStore per shard, ` +
      `batches of ${world.batchSize}; ${int(world.measuredEvents)} events counted on day ${world.days}`,
    renderTable(
      [
        'per counted event',
        'write units',
        'tiles',
        'id ledger',
        'refused puts',
        'read units',
        'per 1M events',
      ],
      rows,
    ),
    `  prices: ${PRICES.note}; read units bill keys not found at 0.5 RCU as AWS does. Empty-table rows are per record.`,
    `  reads: prefetch ${num(r.prefetch)}, re-read after a refused put ${num(r.afterConflict)}; refused tile puts ` +
      `${num(result.tileConflictsPerEvent)} an event. One writer alone applied ${int(result.eventsPerSecondPerShard)} records/s (DynamoDB Local).`,
    '  Items after the week, bytes as DynamoDB sizes them, and day-7 tile puts and write units per event by entity:',
    renderTable(
      [
        'entity',
        'items',
        'p50 B',
        'p90 B',
        'p99 B',
        'max B',
        'packed',
        'puts/event',
        'own size',
        'WCU/event',
      ],
      sizes,
    ),
    '  (own size: the WCU those puts would cost by the new item alone; DynamoDB bills a put by the larger of the ' +
      'item it replaces and the new one.)',
    `  packing (items over 1 KB plain, raw DEFLATE): ${num(result.packing.packMicrosPerItem)} µs to pack and ` +
      `${num(result.packing.unpackMicrosPerItem)} µs to unpack a packed item (best of five passes, this machine): a put of a packed item packs it once, and unpacks it once when it was read rather than cached.`,
    ...renderWriter(result),
    `  target: <= ${result.target.writeUnitsPerEvent} write units per event: ${verdict(w.total <= result.target.writeUnitsPerEvent)}`,
  ];
}

/** The writer's model (writer-batches.ts) and its check on DynamoDB Local. */
function renderWriter({ writer: w }: SteadyStateResult): string[] {
  const totalCalls = Object.values(w.callsPerBatch).reduce((sum, n) => sum + n, 0);
  const calls = Object.entries(w.callsPerBatch)
    .map(([kind, n]) => `${kind} ${num(n)}`)
    .join(', ');
  const { callMs, timedCallMs, wallMsPerBatch, cpuMsPerBatch, modelMsPerBatch, modelToMeasured } = w.local;
  const ms = (l: typeof callMs) =>
    `p50 ${num(l.p50)} ms, p99 ${num(l.p99)} ms, mean ${num(l.mean)} ms (${int(l.calls)} calls)`;
  return [
    `  writer, per full batch of ${w.batchSize} (${w.batches.timed} timed, ${w.batches.rounds} counted in lock step; one batch at a time):`,
    `    process CPU ${num(w.cpuMsPerEvent)} ms a record (of which the SDK's own ${num(w.sdkCpuMsPerCall)} ms a call x ` +
      `${num(totalCalls)} calls / ${w.batchSize} = ${num((w.sdkCpuMsPerCall * totalCalls) / w.batchSize)} ms, timed apart; ${num(w.sdkDefaultsCpuMsPerCall)} ms a call with the SDK's defaults); critical path ${num(w.roundsPerBatch)} DynamoDB round trips ` +
      `(${w.roundsPerBatchRange.min}-${w.roundsPerBatchRange.max}); calls ${calls}`,
    `    DynamoDB Local per call, in lock step (handler idle): ${ms(callMs)}; as timed batches saw it: ${ms(timedCallMs)}`,
    `    model CPU ${int(cpuMsPerBatch)} ms + ${num(w.roundsPerBatch)} rounds x ${num(callMs.mean)} ms = ${int(modelMsPerBatch)} ms; ` +
      `measured ${int(wallMsPerBatch)} ms a batch: model/measured ${num(modelToMeasured)} ` +
      `(CPU wholly hidden in waits instead: ${num(w.local.fullOverlapToMeasured)})`,
    `    DynamoDB Local's own CPU a batch: ${w.local.dynamoDbLocalCpuMsPerBatch ? `${int(w.local.dynamoDbLocalCpuMsPerBatch.timed)} ms timed, ${int(w.local.dynamoDbLocalCpuMsPerBatch.lockStep)} ms in lock step` : 'not readable here'}; ` +
      `load average ${num(w.local.load.average)} on ${w.local.load.cores} cores`,
  ];
}
