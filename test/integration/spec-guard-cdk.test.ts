/**
 * The spec guard as a user meets it: the real CDK CLI deploying this app onto the local cloud (only
 * AWS_ENDPOINT_URL, dummy credentials and a region set). Spec A is the fraud spec; spec B adds a card feature and
 * changes another's window. `cdk deploy` of B fails with spec diff's verdict naming both, the stack rolls back
 * (UPDATE_ROLLBACK_COMPLETE) and keeps computing A's features; with `-c backfillPlanned=true` it deploys; then a
 * deploy that changes no feature (B again, without the flag) and one that only removes a feature pass without it.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import { compileSpec, parseSpecJson } from '../../core/index.js';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/local-cloud.js';
import { localClientConfig, runCdk, userEnv } from '../support/cdk-cli.js';

const STACK = 'streamfeatures-dev';
const SPEC_A = resolve('examples/fraud/spec.json');
const ADDED = 'card_txn_count_30m';
const CHANGED = 'card_amount_sum_1h';
const REMOVED = 'card_txn_count_1h';

let cloud: LocalCloud;
let work: string;
let env: NodeJS.ProcessEnv;
let specB: string;
let specC: string;
let outputs = 0;

/** Runs the CDK CLI with its own output folder; resolves with its exit code and output, never rejects. */
const cdk = (...args: string[]) => runCdk([...args, '--output', resolve(work, `out${outputs++}`)], env);

const deploy = (specFile: string, ...more: string[]) =>
  cdk('deploy', STACK, '-c', `specFile=${specFile}`, '--require-approval', 'never', ...more);

const clientConfig = () => localClientConfig(cloud.endpoint);

/** Puts three transactions for `card` (stamped now) and waits until `feature`, read under `specFile`, counts them. */
async function putAndRead(specFile: string, feature: string, card: string): Promise<number> {
  const stack = cloud.cloudFormation.service.get(STACK);
  const kinesis = new KinesisClient(clientConfig());
  const dynamodb = new DynamoDBClient(clientConfig());
  try {
    const now = Date.now();
    const records = [10, 250, 40].map((amount, j) => ({
      Data: Buffer.from(
        JSON.stringify({
          event_id: `${card}-${j}`,
          ts: now - 2_000 + j,
          card_id: card,
          merchant_id: 'm1',
          amount,
          status: 'approved',
          geo: { country: 'NL' },
        }),
      ),
      PartitionKey: card,
    }));
    const answer = await kinesis.send(
      new PutRecordsCommand({ StreamName: stack.live.outputs.StreamName, Records: records }),
    );
    expect(answer.FailedRecordCount ?? 0).toBe(0);
    const spec = compileSpec(parseSpecJson(readFileSync(specFile, 'utf8')));
    const store = new OnlineStore({
      client: dynamodb,
      tableName: stack.live.outputs.TableName as string,
      spec,
      consistentReads: true,
    });
    const deadline = Date.now() + 90_000;
    for (;;) {
      const [features] = await store.readFeatures(
        [{ entity: 'card', key: { card_id: card } }],
        Date.now() + 1,
      );
      const value = features?.[feature];
      if (typeof value === 'number' && value > 0) return value;
      if (Date.now() > deadline)
        throw new Error(`${feature} of ${card} never read non-empty (last ${value})`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    kinesis.destroy();
    dynamodb.destroy();
  }
}

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  env = userEnv(cloud.endpoint);
  work = mkdtempSync(resolve('.tmp/spec-guard-cdk-'));
  const a = JSON.parse(readFileSync(SPEC_A, 'utf8')) as { features: Array<Record<string, unknown>> };
  const b = {
    ...a,
    features: [
      ...a.features.map((f) => (f.name === CHANGED ? { ...f, window: '2h' } : f)),
      { name: ADDED, entity: 'card', agg: 'count', window: '30m', tile: '5m' },
    ],
  };
  specB = resolve(work, 'spec-b.json');
  writeFileSync(specB, JSON.stringify(b, null, 2));
  specC = resolve(work, 'spec-c.json');
  writeFileSync(
    specC,
    JSON.stringify({ ...b, features: b.features.filter((f) => f.name !== REMOVED) }, null, 2),
  );
}, 120_000);

afterAll(async () => {
  await cloud?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('cdk deploy of a spec change on the local cloud', () => {
  it('deploys spec A (the guard is created: nothing is stored yet)', async () => {
    expect((await cdk('bootstrap', 'aws://000000000000/us-east-1')).code).toBe(0);
    const { code, output } = await deploy(SPEC_A);
    expect(code, output).toBe(0);
    const stack = cloud.cloudFormation.service.get(STACK);
    expect(stack.status).toBe('CREATE_COMPLETE');
    const guard = [...stack.live.resources.values()].find(
      (r) => r.type === 'Custom::StreamfeaturesSpecGuard',
    );
    expect(guard?.physicalId).toMatch(/^streamfeatures-spec-[0-9a-f]{20}$/);
    expect(await putAndRead(SPEC_A, CHANGED, 'guard-c1')).toBe(300);
  }, 400_000);

  it('fails the deploy of spec B without a backfill plan, naming both features, and keeps serving A', async () => {
    const stack = cloud.cloudFormation.service.get(STACK);
    const features = stack.live.functions.get(
      [...stack.live.resources.keys()].find((id) =>
        id.startsWith('FeatureComputerHandlerFunction'),
      ) as string,
    );
    const eventsBefore = stack.events.length;
    const { code, output } = await deploy(specB);
    expect(code).not.toBe(0);
    expect(output).toMatch(/Received response status \[FAILED\] from custom resource/);
    expect(output).toContain(`${ADDED} (added; needs 36m of archive)`);
    expect(output).toContain(`${CHANGED} (changed: window "1h" -> "2h"; needs 2h6m of archive)`);
    expect(output).toContain('backfillPlanned=true');
    expect(stack.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    const failed = stack.events
      .slice(eventsBefore)
      .find(
        (e) => e.ResourceStatus === 'UPDATE_FAILED' && e.ResourceType === 'Custom::StreamfeaturesSpecGuard',
      );
    expect(failed?.ResourceStatusReason).toContain(`--features ${ADDED},${CHANGED}`);
    // Nothing that runs the spec was touched: the guard came first.
    const touched = stack.events
      .slice(eventsBefore)
      .filter(
        (e) =>
          e.ResourceStatus === 'UPDATE_COMPLETE' && /FeatureComputer|ScoringApi/.test(e.LogicalResourceId),
      );
    expect(touched).toEqual([]);
    const stillServing = [...stack.live.resources.keys()].find((id) =>
      id.startsWith('FeatureComputerHandlerFunction'),
    );
    expect(stack.live.functions.get(stillServing as string)).toBe(features);
    // New events are computed under A: its 1h sum reads them (B's 2h sum would be stored apart and read empty).
    expect(await putAndRead(SPEC_A, CHANGED, 'guard-c2')).toBe(300);
  }, 400_000);

  it('deploys spec B with -c backfillPlanned=true, whose function computes the added feature', async () => {
    const { code, output } = await deploy(specB, '-c', 'backfillPlanned=true');
    expect(code, output).toBe(0);
    expect(cloud.cloudFormation.service.get(STACK).status).toBe('UPDATE_COMPLETE');
    expect(await putAndRead(specB, ADDED, 'guard-c3')).toBe(3);
  }, 400_000);

  it('passes without the flag a deploy that changes no feature, and one that only removes a feature', async () => {
    const same = await deploy(specB);
    expect(same.code, same.output).toBe(0);
    expect(cloud.cloudFormation.service.get(STACK).status).toBe('UPDATE_COMPLETE');
    const removal = await deploy(specC);
    expect(removal.code, removal.output).toBe(0);
    expect(cloud.cloudFormation.service.get(STACK).status).toBe('UPDATE_COMPLETE');
    expect(await putAndRead(specC, ADDED, 'guard-c4')).toBe(3);
  }, 600_000);

  it('destroys the stack, the guard answering its Delete', async () => {
    const { code, output } = await cdk('destroy', STACK, '--force');
    expect(code, output).toBe(0);
    expect([...cloud.cloudFormation.service.deployments()].map((d) => d.stackName)).toEqual(['CDKToolkit']);
  }, 400_000);
});
