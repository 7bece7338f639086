/**
 * What a user does with the CDK CLI against the local cloud, given only AWS_ENDPOINT_URL, dummy credentials and a
 * region: `cdk bootstrap`, `cdk deploy` of this app, events put with the SDK reach DynamoDB through the deployed
 * mapping and function, `cdk diff` of a changed spec, `cdk deploy` of it (only the changed resources update, and
 * the new feature is computed), `cdk destroy` (nothing left running). Each CLI run synthesizes into a temporary
 * `--output` folder.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient, ListStreamsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import { compileSpec, parseSpecJson } from '../../core/index.js';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/local-cloud.js';
import { localClientConfig, runCdk, threeTransactionsEach, userEnv } from '../support/cdk-cli.js';
import { until } from '../support/until.js';

/** How long the features take to appear, and how often to look. */
const WAIT = { timeoutMs: 90_000, pollMs: 500 };

const STACK = 'streamfeatures-dev';
const SPEC = 'examples/fraud/spec.json';
const NEW_FEATURE = 'card_amount_max_10m';

let cloud: LocalCloud;
let work: string;
let env: NodeJS.ProcessEnv;
let specFile2: string;
const figures: Record<string, number> = {};

/** Runs the CLI, failing on a non-zero exit; its duration is recorded under `label` (default: the command). */
async function cdk(args: string[], label = args[0] as string): Promise<string> {
  const result = await runCdk(args, env);
  if (result.code !== 0) throw new Error(`cdk ${args.join(' ')} failed: ${result.output}`);
  figures[label] = result.ms;
  return result.output;
}

const clientConfig = () => localClientConfig(cloud.endpoint);

/** Card transactions for `cards`, a few each, stamped now. */
async function putAndReadFeature(specPath: string, feature: string, cards: string[]): Promise<number[]> {
  const stack = cloud.cloudFormation.service.get(STACK);
  const streamName = stack.live.outputs.StreamName as string;
  const tableName = stack.live.outputs.TableName as string;
  const kinesis = new KinesisClient(clientConfig());
  const dynamodb = new DynamoDBClient(clientConfig());
  try {
    const answer = await kinesis.send(
      new PutRecordsCommand({ StreamName: streamName, Records: threeTransactionsEach(cards) }),
    );
    expect(answer.FailedRecordCount ?? 0).toBe(0);
    const spec = compileSpec(parseSpecJson(readFileSync(specPath, 'utf8')));
    const store = new OnlineStore({ client: dynamodb, tableName, spec, consistentReads: true });
    return await until(
      `${feature} of ${cards.join(', ')} in DynamoDB`,
      async () => {
        const read = await store.readFeatures(
          cards.map((card) => ({ entity: 'card', key: { card_id: card }, t: Date.now() + 1 })),
          Date.now() + 1,
        );
        const values = read.map((features) => features[feature]);
        return values.every((v) => typeof v === 'number' && v > 0) ? (values as number[]) : undefined;
      },
      WAIT,
    );
  } finally {
    kinesis.destroy();
    dynamodb.destroy();
  }
}

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  env = userEnv(cloud.endpoint);
  work = mkdtempSync(resolve('.tmp/cdk-cli-'));
  const spec = JSON.parse(readFileSync(SPEC, 'utf8')) as { features: unknown[] };
  spec.features.push({
    name: NEW_FEATURE,
    entity: 'card',
    agg: 'max',
    field: 'amount',
    window: '10m',
    tile: '1m',
  });
  specFile2 = resolve(work, 'spec-with-max.json');
  writeFileSync(specFile2, JSON.stringify(spec, null, 2));
}, 120_000);

afterAll(async () => {
  await cloud?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  const s = (name: string) => (figures[name] === undefined ? '?' : `${(figures[name] / 1000).toFixed(1)} s`);
  console.info(
    `cdk cli on the local cloud: bootstrap ${s('bootstrap')}, deploy ${s('deploy')} (update ${s('update')}), diff ${s('diff')}, destroy ${s('destroy')}`,
  );
});

describe('the CDK CLI against the local cloud', () => {
  it('bootstraps the environment: the CDKToolkit stack and its version parameter in SSM', async () => {
    const out = await cdk(['bootstrap', 'aws://000000000000/us-east-1', '--output', resolve(work, 'out0')]);
    expect(out).toMatch(/Environment aws:\/\/000000000000\/us-east-1 bootstrapped/);
    const toolkit = cloud.cloudFormation.service.get('CDKToolkit');
    expect(toolkit.status).toBe('CREATE_COMPLETE');
    expect(toolkit.live.outputs.BucketName).toBe('cdk-hnb659fds-assets-000000000000-us-east-1');
    const ssm = new SSMClient(clientConfig());
    const version = await ssm.send(new GetParameterCommand({ Name: '/cdk-bootstrap/hnb659fds/version' }));
    ssm.destroy();
    expect(Number(version.Parameter?.Value)).toBeGreaterThanOrEqual(6);
  }, 300_000);

  it('deploys the app, whose functions (from the asset zips in S3) turn put events into features', async () => {
    const out = await cdk([
      'deploy',
      STACK,
      '--require-approval',
      'never',
      '--output',
      resolve(work, 'out1'),
    ]);
    expect(out).toMatch(/streamfeatures-dev\.StreamName = /);
    const stack = cloud.cloudFormation.service.get(STACK);
    expect(stack.status).toBe('CREATE_COMPLETE');
    const code = [...stack.live.resources.values()].filter((r) => r.type === 'AWS::Lambda::Function');
    expect(code.length).toBe(4); // features, score, monitor, and the spec guard's
    for (const fn of code) expect(fn.notes.join(' ')).toMatch(/code s3:\/\/cdk-hnb659fds-assets-/);
    const counts = await putAndReadFeature(SPEC, 'card_txn_count_10m', ['cli-c1', 'cli-c2']);
    expect(counts).toEqual([3, 3]);
  }, 300_000);

  it('diffs a changed spec: the functions and the feature log table change', async () => {
    const out = await cdk(['diff', STACK, '-c', `specFile=${specFile2}`, '--output', resolve(work, 'out2')]);
    expect(out).toMatch(/\[~\] AWS::Lambda::Function \S*FeatureComputer\/Handler\/Function/);
    expect(out).toMatch(/\[~\] AWS::Glue::Table \S*OfflineStore\/FeatureLog\/Table/);
    expect(out).not.toMatch(/AWS::Kinesis::Stream/);
  }, 300_000);

  it('updates only what changed, and the new function computes the added feature', async () => {
    const stack = cloud.cloudFormation.service.get(STACK);
    const before = new Map([...stack.live.resources].map(([id, r]) => [id, r.physicalId]));
    const eventsBefore = stack.events.length;
    await cdk(
      [
        'deploy',
        STACK,
        '-c',
        `specFile=${specFile2}`,
        // The added feature reads empty until a backfill: the spec guard wants the plan said.
        '-c',
        'backfillPlanned=true',
        '--require-approval',
        'never',
        '--output',
        resolve(work, 'out2'),
      ],
      'update',
    );
    expect(stack.status).toBe('UPDATE_COMPLETE');
    const updated = stack.events
      .slice(eventsBefore)
      .filter(
        (e) => e.ResourceStatus === 'UPDATE_COMPLETE' && e.ResourceType !== 'AWS::CloudFormation::Stack',
      )
      .map((e) => e.ResourceType)
      .sort();
    // The functions that run the spec (features, score, monitor, the guard's own, which has the spec beside it)
    // and the guard, which takes the new spec's id.
    expect(updated).toEqual([
      'AWS::Glue::Table',
      'AWS::Lambda::Function',
      'AWS::Lambda::Function',
      'AWS::Lambda::Function',
      'AWS::Lambda::Function',
      'Custom::StreamfeaturesSpecGuard',
    ]);
    const deleted = stack.events.slice(eventsBefore).filter((e) => e.ResourceStatus.startsWith('DELETE'));
    expect(deleted).toEqual([]);
    for (const [id, physicalId] of before) {
      if (stack.live.resources.get(id)?.type === 'Custom::StreamfeaturesSpecGuard') continue;
      expect(stack.live.resources.get(id)?.physicalId).toBe(physicalId);
    }
    const maxima = await putAndReadFeature(specFile2, NEW_FEATURE, ['cli-c3']);
    expect(maxima).toEqual([250]);
  }, 300_000);

  it('destroys the stack: its stream and table are gone and nothing of it runs', async () => {
    const deployment = [...cloud.cloudFormation.service.deployments()].find((d) => d.stackName === STACK);
    expect(deployment?.functions.size).toBe(4);
    const out = await cdk(['destroy', STACK, '--force', '--output', resolve(work, 'out2')]);
    expect(out).toMatch(/streamfeatures-dev: destroyed/);
    expect([...cloud.cloudFormation.service.deployments()].map((d) => d.stackName)).toEqual(['CDKToolkit']);
    expect(deployment?.functions.size).toBe(0);
    expect(deployment?.mappings.size).toBe(0);
    const kinesis = new KinesisClient(clientConfig());
    const streams = await kinesis.send(new ListStreamsCommand({}));
    kinesis.destroy();
    expect(streams.StreamNames?.filter((n) => n.startsWith(STACK))).toEqual([]);
  }, 300_000);
});
