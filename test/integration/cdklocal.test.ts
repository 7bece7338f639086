/**
 * LocalStack's `cdklocal` (npm aws-cdk-local, a wrapper over the installed aws-cdk) against the local cloud, as a
 * user at a terminal runs it: `streamfeatures local up`, the variables it prints plus AWS_ENDPOINT_URL_S3 (which
 * cdklocal demands beside AWS_ENDPOINT_URL), then `cdklocal bootstrap`, `cdklocal deploy` of the app (events put
 * with the SDK come back as features from DynamoDB) and `cdklocal destroy` (the stack and its stream are gone).
 */
import { readFileSync } from 'node:fs';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient, ListStreamsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import { compileSpec, parseSpecJson } from '../../core/index.js';
import { threeTransactionsEach } from '../support/cdk-cli.js';
import { until } from '../support/until.js';
import { UserSession } from '../support/user-session.js';

const MINUTES = 60_000;
const STACK = 'streamfeatures-dev';
const SPEC = 'examples/fraud/spec.json';
const CARDS = ['cdklocal-c1', 'cdklocal-c2'];

let session: UserSession;
let outputs: { StreamName: string; TableName: string };
const figures: Record<string, number | string> = {};

/** Three approved card transactions per card, stamped now. */
beforeAll(async () => {
  session = UserSession.open('cdklocal', figures);
  session.cdkCommand = 'cdklocal';
  await session.startLocalCloud();
}, 10 * MINUTES);

afterAll(() => session?.close('cdklocal on the local cloud'), 10 * MINUTES);

describe('cdklocal against the local cloud', () => {
  it(
    'refuses AWS_ENDPOINT_URL without AWS_ENDPOINT_URL_S3, naming the missing variable',
    async () => {
      const refused = session.sh('cdklocal refuses', 'npx', [
        'cdklocal',
        'bootstrap',
        '--output',
        `${session.work}/o`,
      ]);
      await expect(refused).rejects.toThrow(/'AWS_ENDPOINT_URL_S3' must be specified/);
    },
    5 * MINUTES,
  );

  it(
    'bootstraps with AWS_ENDPOINT_URL_S3 set to the same endpoint: the version parameter is in SSM',
    async () => {
      session.exportVariables({ AWS_ENDPOINT_URL_S3: session.endpoint });
      await session.bootstrap();
      const ssm = new SSMClient(session.clientConfig());
      const version = await ssm.send(new GetParameterCommand({ Name: '/cdk-bootstrap/hnb659fds/version' }));
      ssm.destroy();
      expect(Number(version.Parameter?.Value)).toBeGreaterThanOrEqual(6);
    },
    15 * MINUTES,
  );

  it(
    'deploys the app, whose features function turns put events into features in DynamoDB',
    async () => {
      outputs = await session.deploy<typeof outputs>(STACK, []);
      const kinesis = new KinesisClient(session.clientConfig());
      const dynamodb = new DynamoDBClient(session.clientConfig());
      try {
        const put = await kinesis.send(
          new PutRecordsCommand({ StreamName: outputs.StreamName, Records: threeTransactionsEach(CARDS) }),
        );
        expect(put.FailedRecordCount ?? 0).toBe(0);
        const spec = compileSpec(parseSpecJson(readFileSync(SPEC, 'utf8')));
        const store = new OnlineStore({
          client: dynamodb,
          tableName: outputs.TableName,
          spec,
          consistentReads: true,
        });
        const counts = await until(
          'the cards’ transaction counts in DynamoDB',
          async () => {
            const t = Date.now() + 1;
            const read = await store.readFeatures(
              CARDS.map((card) => ({ entity: 'card', key: { card_id: card }, t })),
              t,
            );
            const values = read.map((features) => features.card_txn_count_10m);
            return values.every((v) => v === 3) ? values : undefined;
          },
          { timeoutMs: 3 * MINUTES, pollMs: 500 },
        );
        expect(counts).toEqual([3, 3]);
      } finally {
        kinesis.destroy();
        dynamodb.destroy();
      }
    },
    20 * MINUTES,
  );

  it(
    'destroys the stack: CloudFormation no longer lists it and its stream is gone',
    async () => {
      await session.destroy(STACK);
      const cloudFormation = new CloudFormationClient(session.clientConfig());
      const kinesis = new KinesisClient(session.clientConfig());
      try {
        const stacks = await cloudFormation.send(new DescribeStacksCommand({}));
        expect(stacks.Stacks?.map((s) => s.StackName)).toEqual(['CDKToolkit']);
        const streams = await kinesis.send(new ListStreamsCommand({}));
        expect(streams.StreamNames).not.toContain(outputs.StreamName);
      } finally {
        cloudFormation.destroy();
        kinesis.destroy();
      }
    },
    15 * MINUTES,
  );
});
