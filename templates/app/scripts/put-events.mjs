#!/usr/bin/env node
// Puts sample card payments on the stream, as a producer would (AWS SDK v3 PutRecords, 500 per call).
//
//   node scripts/put-events.mjs --stream NAME [--count 200] [--cards 20]
//
// NAME is the stack output StreamName. With AWS_ENDPOINT_URL set (the local cloud), the SDK talks to it.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';

const { values } = parseArgs({
  options: {
    stream: { type: 'string' },
    count: { type: 'string', default: '200' },
    cards: { type: 'string', default: '20' },
  },
});
if (!values.stream) {
  console.error('usage: node scripts/put-events.mjs --stream NAME [--count 200] [--cards 20]');
  process.exit(2);
}
const count = Number(values.count);
const cards = Number(values.cards);

/** One payment: the fields spec.mjs reads (ts, event_id, card_id, merchant_id, amount, status). */
function payment(i) {
  return {
    event_id: randomUUID(),
    ts: new Date(Date.now() - (count - i) * 100).toISOString(),
    card_id: `c${i % cards}`,
    merchant_id: `m${i % 7}`,
    amount: Math.round(Math.random() * 20_000) / 100,
    status: Math.random() < 0.05 ? 'declined' : 'approved',
  };
}

const client = new KinesisClient({});
let failed = 0;
for (let start = 0; start < count; start += 500) {
  const events = Array.from({ length: Math.min(500, count - start) }, (_, k) => payment(start + k));
  const response = await client.send(
    new PutRecordsCommand({
      StreamName: values.stream,
      Records: events.map((event) => ({
        Data: new TextEncoder().encode(JSON.stringify(event)),
        PartitionKey: event.card_id,
      })),
    }),
  );
  failed += response.FailedRecordCount ?? 0;
}
console.log(`put ${count - failed} of ${count} events on ${values.stream} (cards c0..c${cards - 1})`);
process.exitCode = failed > 0 ? 1 : 0;
