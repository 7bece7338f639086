import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import { specCheck } from '../../cli/spec-commands.js';
import {
  compileSpec,
  EntityState,
  ITEM_LIMIT_BYTES,
  itemBytesBound,
  itemSizeProblems,
  parseSpecJson,
  SpecError,
  type ValidEvent,
} from '../../core/index.js';

const fraudJson = readFileSync('examples/fraud/spec.json', 'utf8');
const fraud = compileSpec(parseSpecJson(fraudJson));

/** The fraud spec with five more 2-day distinct features of hourly tiles on the merchant. */
function wideMerchantSpec() {
  const json = JSON.parse(fraudJson) as { features: object[] };
  for (const field of ['card_id', 'geo.country', 'status', 'event_id', 'amount'])
    json.features.push({
      name: `merchant_distinct_${field.replace('.', '_')}_2d`,
      entity: 'merchant',
      agg: 'distinct',
      field,
      window: '2d',
      tile: '1h',
    });
  return JSON.stringify(json);
}

const HOUR = 3_600_000;

describe('item size bound', () => {
  it('accepts the fraud spec: no entity can outgrow the item limit', () => {
    expect(itemSizeProblems(fraud)).toEqual([]);
    for (const entity of fraud.entities) expect(itemBytesBound(fraud, entity)).toBeLessThan(ITEM_LIMIT_BYTES);
  });

  it('refuses distinct features over long windows of fine tiles, naming the entity and the limit', () => {
    const problems = itemSizeProblems(compileSpec(parseSpecJson(wideMerchantSpec())));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^entity "merchant": its online-store item can reach \d+ KB, over DynamoDB's 400 KB/,
    );
  });

  it('is a bound: a merchant state with every tile full and every sketch dense stays under it', () => {
    const merchant = fraud.entityByName.get('merchant');
    if (!merchant) throw new Error('the fraud spec has a merchant entity');
    const state = new EntityState(merchant);
    const end = Date.parse('2026-11-08T00:00:00Z');
    // 3,000 distinct cards in each of the last 25 hours: every distinct tile is past its sparse limit.
    for (let hour = 24; hour >= 0; hour--) {
      for (let i = 0; i < 3000; i++) {
        const tau = end - hour * HOUR + i * 1000;
        state.apply({
          tau,
          alpha: tau + 123_456.789,
          body: { card_id: `card-${hour}-${i}`, amount: -123456.789012345, status: 'declined' },
        } as unknown as ValidEvent);
      }
    }
    state.settle(end + 3000 * 1000);
    const bytes = Buffer.byteLength(JSON.stringify(state));
    expect(bytes).toBeGreaterThan(20_000);
    expect(bytes).toBeLessThan(itemBytesBound(fraud, merchant));
  });

  it('the online store refuses such a spec when it is made, before any batch', () => {
    const spec = compileSpec(parseSpecJson(wideMerchantSpec()));
    const client = new DynamoDBClient({ region: 'us-east-1' });
    expect(() => new OnlineStore({ client, tableName: 't', spec })).toThrow(
      /online store: entity "merchant"/,
    );
    client.destroy();
  });

  it('spec check fails on a spec whose items can outgrow the limit, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'item-size-'));
    const path = join(dir, 'wide.json');
    writeFileSync(path, wideMerchantSpec());
    const io = { out: () => {}, err: () => {}, interactive: false };
    const error = await specCheck(path, io).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SpecError);
    expect((error as SpecError).message).toContain(path);
    expect((error as SpecError).issues[0]).toContain('entity "merchant"');
  });
});
