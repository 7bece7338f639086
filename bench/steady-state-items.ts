/** The steady-state run's table after the measured day: item sizes per entity, and the packed items' CPU. */
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ID_PREFIX } from '../adapters/online-store/id-ledger.js';
import { itemBytes } from '../adapters/online-store/item-bytes.js';
import { packPayload, unpackPayload } from '../adapters/online-store/item-payload.js';
import { entityOf } from './ddb-calls.js';
import { percentile } from './stats.js';

export interface ItemSizes {
  items: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Packed items (tile-item.ts) after the run: their share per entity, and the CPU to pack and unpack one. */
export interface Packing {
  packedShareByEntity: Record<string, number>;
  packMicrosPerItem: number;
  unpackMicrosPerItem: number;
}

/**
 * Every item of the table (the id ledger apart): its size percentiles per entity, and how many are packed
 * (tile-item.ts), with the CPU one pack and one unpack of each packed item takes (timed here, after the run).
 */
export async function itemSizesByEntity(
  client: DynamoDBClient,
  tableName: string,
): Promise<{ itemBytes: Record<string, ItemSizes>; packing: Packing }> {
  const sizes = new Map<string, number[]>();
  const packed: Record<string, number> = {};
  const payloads: { key: string; bytes: Uint8Array }[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const pk = item.pk?.S ?? '';
      if (pk.startsWith(ID_PREFIX)) continue;
      const entity = entityOf(pk);
      const list = sizes.get(entity) ?? [];
      list.push(itemBytes(item));
      sizes.set(entity, list);
      if (item.z?.B) {
        packed[entity] = (packed[entity] ?? 0) + 1;
        payloads.push({ key: pk, bytes: item.z.B });
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  // Best of five passes (the first warms the code up): CPU per item, not the machine's other load.
  const unpacked = payloads.map(({ key, bytes }) => unpackPayload(key, bytes));
  const fastest = (run: () => void) => {
    let best = Number.POSITIVE_INFINITY;
    for (let pass = 0; pass < 5; pass++) {
      const t = performance.now();
      run();
      best = Math.min(best, performance.now() - t);
    }
    return (best * 1000) / Math.max(1, payloads.length);
  };
  const unpackMicros = fastest(() => {
    for (const { key, bytes } of payloads) unpackPayload(key, bytes);
  });
  const packMicros = fastest(() => {
    for (const payload of unpacked) packPayload(payload);
  });
  const packing: Packing = {
    packedShareByEntity: Object.fromEntries(
      [...sizes].map(([entity, list]) => [entity, (packed[entity] ?? 0) / list.length]),
    ),
    packMicrosPerItem: packMicros,
    unpackMicrosPerItem: unpackMicros,
  };
  return { itemBytes: byEntity(sizes), packing };
}

function byEntity(sizes: ReadonlyMap<string, number[]>): Record<string, ItemSizes> {
  return Object.fromEntries(
    [...sizes].map(([entity, list]) => {
      return [
        entity,
        {
          items: list.length,
          p50: percentile(list, 50),
          p90: percentile(list, 90),
          p99: percentile(list, 99),
          max: Math.max(...list),
        },
      ];
    }),
  );
}
