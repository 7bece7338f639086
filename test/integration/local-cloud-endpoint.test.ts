/**
 * The local cloud's one endpoint as the user's own tools use it: SQS on the query protocol (the AWS CLI 2.9
 * Debian ships, raw form posts) and the JSON protocol (the AWS CLI on PATH, the SDK v3), STS issuing local
 * credentials, and the deployed stack's HTTP API (the real score bundle) on the same port by execute-api host
 * name, by the /_aws/execute-api path, and over TLS, with SigV4 checked as API Gateway checks it.
 * (`npm test` synthesizes cdk.out before the tests run.)
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeployHooks } from '../../packages/local-cloud/src/deploy-hooks.js';
import { type Deployment, deployTemplate } from '../../packages/local-cloud/src/deploy-template.js';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/local-cloud.js';
import { issueCredentials } from '../../packages/local-cloud/src/sts/sessions.js';
import { signedPostHeaders } from '../support/sigv4.js';

const REGION = 'us-east-1';
const STATIC = { accessKeyId: 'test', secretAccessKey: 'test' };
const SCORE_REQUEST = JSON.stringify({
  entities: { card: { card_id: 'c1' }, card_merchant: { card_id: 'c1', merchant_id: 'm1' } },
});

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

let cloud: LocalCloud;
let deployment: Deployment;
let apiId: string;
let apiEndpoint: string;
let scratch: string;
let caFile: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'sf-endpoint-'));
  cloud = await startLocalCloud({ port: 0 });
  caFile = join(scratch, 'ca.pem');
  writeFileSync(caFile, cloud.caCertificate);
  const hooks = await startDeployHooks(cloud);
  deployment = await deployTemplate({
    cloudEndpoint: cloud.endpoint,
    stackName: 'streamfeatures-dev',
    cdkOut: 'cdk.out',
    hooks: hooks.hooks,
  });
  const [api] = hooks.httpApis.values();
  if (api === undefined) throw new Error('the stack deployed no HTTP API');
  apiId = api.apiId;
  apiEndpoint = cloud.apiEndpoint(apiId);
});

afterAll(async () => {
  await deployment?.stop();
  await cloud?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { env: { ...process.env, ...env }, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The AWS CLI at `cli` against the local cloud, with `credentials` (test/test by default). */
function aws(cli: string, args: string[], credentials: Credentials = STATIC) {
  return run(cli, ['--endpoint-url', cloud.endpoint, '--output', 'json', ...args], {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken ?? '',
    AWS_DEFAULT_REGION: REGION,
    AWS_REGION: REGION,
    AWS_PAGER: '',
    AWS_CONFIG_FILE: join(scratch, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(scratch, 'no-credentials'),
  });
}

/** The wire protocol an AWS CLI uses for SQS, from its debug log; undefined when it does not run. */
async function sqsProtocolOf(cli: string): Promise<'query' | 'json' | undefined> {
  const { stderr } = await aws(cli, ['sqs', 'list-queues', '--debug']);
  const request = /Making request for OperationModel\(name=ListQueues\).*/.exec(stderr)?.[0] ?? '';
  if (request.includes('x-www-form-urlencoded')) return 'query';
  if (request.includes('AmazonSQS.ListQueues')) return 'json';
  return undefined;
}

/** A form post to the endpoint, signed for `service` as the query-protocol SDKs sign it. */
async function formPost(
  service: 'sqs' | 'sts',
  params: Record<string, string>,
  options: { credentials?: Credentials; path?: string } = {},
): Promise<{ status: number; body: string }> {
  const url = new URL(options.path ?? '/', cloud.endpoint);
  const body = new URLSearchParams(params).toString();
  const headers = await signedPostHeaders(url, body, {
    credentials: options.credentials ?? STATIC,
    region: REGION,
    service,
    contentType: 'application/x-www-form-urlencoded; charset=utf-8',
  });
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body,
  });
  return { status: response.status, body: await response.text() };
}

/** The text of each `<tag>` in `xml`. */
function elements(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1] as string);
}

/** A request to the HTTP API at `url`, SigV4-signed for execute-api in `region` (Node fetch). */
async function signedScore(
  url: string,
  credentials: Credentials = STATIC,
  options: { region?: string; service?: string; body?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const target = new URL(url);
  const body = options.body ?? SCORE_REQUEST;
  const headers = await signedPostHeaders(target, body, {
    credentials,
    region: options.region ?? REGION,
    service: options.service ?? 'execute-api',
  });
  const response = await fetch(target, {
    method: 'POST',
    headers,
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** curl --aws-sigv4 to the HTTP API: the status line's code and the body. */
async function curlScore(url: string, extra: string[], sigv4 = `aws:amz:${REGION}:execute-api`) {
  const { stdout, stderr, code } = await run('curl', [
    '--silent',
    '--show-error',
    '--aws-sigv4',
    sigv4,
    '--user',
    'test:test',
    '-H',
    'content-type: application/json',
    '--data',
    SCORE_REQUEST,
    '--write-out',
    '\n%{http_code} %{http_version}',
    ...extra,
    url,
  ]);
  if (code !== 0) throw new Error(`curl failed (${code}): ${stderr}`);
  const lines = stdout.split('\n');
  const [status, httpVersion] = (lines.pop() as string).split(' ');
  return {
    status: Number(status),
    httpVersion,
    body: JSON.parse(lines.join('\n')) as Record<string, unknown>,
  };
}

describe('SQS on the query protocol', () => {
  it('answers an AWS CLI that speaks the query protocol (Debian 2.9): create, send, receive, delete, attributes', async () => {
    const clis: string[] = [];
    for (const cli of ['aws', '/usr/bin/aws']) {
      if ((await sqsProtocolOf(cli)) === 'query') clis.push(cli);
    }
    // Debian's awscli 2.9 (apt-get install awscli; CI installs it) calls SQS with the query protocol. Its
    // absence fails the test rather than passing it unchecked.
    expect(clis, 'an AWS CLI speaking the SQS query protocol (apt-get install awscli)').not.toHaveLength(0);
    const cli = clis[0] as string;
    const created = await aws(cli, [
      'sqs',
      'create-queue',
      '--queue-name',
      'cli-query',
      '--attributes',
      'VisibilityTimeout=7',
      '--tags',
      'team=ml',
    ]);
    expect(created.stderr).toBe('');
    const queueUrl = JSON.parse(created.stdout).QueueUrl as string;
    expect(queueUrl).toBe(`${cloud.endpoint}/000000000000/cli-query`);
    const sent = await aws(cli, [
      'sqs',
      'send-message',
      '--queue-url',
      queueUrl,
      '--message-body',
      'hello <&> world',
      '--message-attributes',
      '{"kind":{"DataType":"String","StringValue":"greeting"}}',
    ]);
    expect(sent.stderr).toBe('');
    const batch = await aws(cli, [
      'sqs',
      'send-message-batch',
      '--queue-url',
      queueUrl,
      '--entries',
      'Id=a,MessageBody=one',
      'Id=b,MessageBody=two',
    ]);
    expect(JSON.parse(batch.stdout).Successful.map((e: { Id: string }) => e.Id)).toEqual(['a', 'b']);
    const attributes = JSON.parse(
      (await aws(cli, ['sqs', 'get-queue-attributes', '--queue-url', queueUrl, '--attribute-names', 'All']))
        .stdout,
    ).Attributes;
    expect(attributes).toMatchObject({ VisibilityTimeout: '7', ApproximateNumberOfMessages: '3' });
    const received = JSON.parse(
      (
        await aws(cli, [
          'sqs',
          'receive-message',
          '--queue-url',
          queueUrl,
          '--max-number-of-messages',
          '10',
          '--message-attribute-names',
          'All',
        ])
      ).stdout,
    ).Messages as Array<{ Body: string; ReceiptHandle: string; MessageAttributes?: object }>;
    expect(received.map((m) => m.Body).sort()).toEqual(['hello <&> world', 'one', 'two']);
    expect(received.find((m) => m.Body.startsWith('hello'))?.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'greeting' },
    });
    for (const message of received) {
      const deleted = await aws(cli, [
        'sqs',
        'delete-message',
        '--queue-url',
        queueUrl,
        '--receipt-handle',
        message.ReceiptHandle,
      ]);
      expect(deleted.code).toBe(0);
    }
    const missing = await aws(cli, ['sqs', 'get-queue-url', '--queue-name', 'no-such-queue']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('AWS.SimpleQueueService.NonExistentQueue');
  });

  it('answers signed form posts with the XML SQS answers, and the JSON protocol sees the same queue', async () => {
    const created = await formPost('sqs', {
      Action: 'CreateQueue',
      QueueName: 'form-query',
      'Attribute.1.Name': 'VisibilityTimeout',
      'Attribute.1.Value': '9',
      'Tag.1.Key': 'team',
      'Tag.1.Value': 'ml',
      Version: '2012-11-05',
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatch(
      /^<\?xml version="1.0"\?><CreateQueueResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/">/,
    );
    const [queueUrl] = elements(created.body, 'QueueUrl');
    expect(queueUrl).toBe(`${cloud.endpoint}/000000000000/form-query`);
    const sent = await formPost('sqs', {
      Action: 'SendMessage',
      QueueUrl: queueUrl as string,
      MessageBody: 'line one\r\nline two',
      'MessageAttribute.1.Name': 'n',
      'MessageAttribute.1.Value.DataType': 'Number',
      'MessageAttribute.1.Value.StringValue': '42',
    });
    expect(sent.status).toBe(200);
    expect(elements(sent.body, 'MessageId')).toHaveLength(1);
    const batch = await formPost('sqs', {
      Action: 'SendMessageBatch',
      QueueUrl: queueUrl as string,
      'SendMessageBatchRequestEntry.1.Id': 'x',
      'SendMessageBatchRequestEntry.1.MessageBody': 'batched',
      'SendMessageBatchRequestEntry.2.Id': 'x',
      'SendMessageBatchRequestEntry.2.MessageBody': 'same id',
    });
    expect(batch.status).toBe(400);
    expect(elements(batch.body, 'Code')).toEqual(['AWS.SimpleQueueService.BatchEntryIdsNotDistinct']);
    const attributes = await formPost('sqs', {
      Action: 'GetQueueAttributes',
      QueueUrl: queueUrl as string,
      'AttributeName.1': 'VisibilityTimeout',
    });
    expect(attributes.body).toContain(
      '<GetQueueAttributesResult><Attribute><Name>VisibilityTimeout</Name><Value>9</Value></Attribute></GetQueueAttributesResult>',
    );

    // The SDK v3 speaks the JSON protocol to the same queue.
    const sqs = new SQSClient({ endpoint: cloud.endpoint, region: REGION, credentials: STATIC });
    try {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }),
      );
      expect(Messages?.map((m) => m.Body)).toEqual(['line one\r\nline two']);
      expect(Messages?.[0]?.MessageAttributes).toEqual({ n: { DataType: 'Number', StringValue: '42' } });
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'from the SDK v3' }));
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: Messages?.[0]?.ReceiptHandle }),
      );
    } finally {
      sqs.destroy();
    }

    // Posted to the queue's own URL without QueueUrl, as the JavaScript SDK v2 does.
    const received = await formPost(
      'sqs',
      { Action: 'ReceiveMessage', 'AttributeName.1': 'All', WaitTimeSeconds: '1' },
      { path: '/000000000000/form-query' },
    );
    expect(received.status).toBe(200);
    expect(elements(received.body, 'Body')).toEqual(['from the SDK v3']);
    expect(received.body).toContain(
      '<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>',
    );
    const [handle] = elements(received.body, 'ReceiptHandle');
    const deleted = await formPost('sqs', {
      Action: 'DeleteMessage',
      QueueUrl: queueUrl as string,
      ReceiptHandle: handle as string,
    });
    expect(deleted.body).toMatch(
      /^<\?xml version="1.0"\?><DeleteMessageResponse [^>]*><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId>/,
    );
  });

  it('answers bad requests with SQS query-protocol errors naming the problem', async () => {
    const missing = await formPost('sqs', { Action: 'GetQueueUrl', QueueName: 'absent' });
    expect(missing.status).toBe(400);
    expect(missing.body).toContain(
      '<Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue does not exist.</Message>',
    );
    const unknown = await formPost('sqs', { Action: 'Frobnicate' });
    expect(unknown.status).toBe(400);
    expect(elements(unknown.body, 'Message')).toEqual([
      'The action Frobnicate is not valid for this endpoint.',
    ]);
    const badInteger = await formPost('sqs', {
      Action: 'ReceiveMessage',
      QueueUrl: `${cloud.endpoint}/000000000000/absent`,
      MaxNumberOfMessages: 'ten',
    });
    expect(badInteger.status).toBe(400);
    expect(elements(badInteger.body, 'Code')).toEqual(['InvalidParameterValue']);
    expect(elements(badInteger.body, 'Message')[0]).toContain('ten for parameter MaxNumberOfMessages');
  });

  it('still answers the JSON protocol: the SDK v3 and the AWS CLI on PATH', async () => {
    const sqs = new SQSClient({ endpoint: cloud.endpoint, region: REGION, credentials: STATIC });
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'json-protocol' }));
      expect(QueueUrl).toBe(`${cloud.endpoint}/000000000000/json-protocol`);
    } finally {
      sqs.destroy();
    }
    const listed = await aws('aws', ['sqs', 'list-queues', '--queue-name-prefix', 'json-']);
    expect(listed.stderr).toBe('');
    expect(JSON.parse(listed.stdout).QueueUrls).toEqual([`${cloud.endpoint}/000000000000/json-protocol`]);
    // The same over TLS on the same port, trusting the generated authority (the last --endpoint-url wins).
    const overTls = await aws('aws', [
      'sqs',
      'list-queues',
      '--queue-name-prefix',
      'json-',
      '--endpoint-url',
      `https://127.0.0.1:${cloud.port}`,
      '--ca-bundle',
      caFile,
    ]);
    expect(overTls.stderr).toBe('');
    expect(JSON.parse(overTls.stdout).QueueUrls).toHaveLength(1);
  });
});

const DEPLOY_ROLE = 'arn:aws:iam::000000000000:role/cdk-hnb659fds-deploy-role-000000000000-us-east-1';

async function assumeDeployRole(): Promise<Credentials> {
  const assumed = await aws('aws', [
    'sts',
    'assume-role',
    '--role-arn',
    DEPLOY_ROLE,
    '--role-session-name',
    'cdk-deploy',
  ]);
  expect(assumed.stderr).toBe('');
  const c = JSON.parse(assumed.stdout).Credentials;
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

describe('STS', () => {
  it('issues credentials for the CDK deploy role, and GetCallerIdentity answers the assumed role with them', async () => {
    const root = JSON.parse((await aws('aws', ['sts', 'get-caller-identity'])).stdout);
    expect(root).toEqual({
      UserId: '000000000000',
      Account: '000000000000',
      Arn: 'arn:aws:iam::000000000000:root',
    });
    const assumed = await aws('aws', [
      'sts',
      'assume-role',
      '--role-arn',
      DEPLOY_ROLE,
      '--role-session-name',
      'cdk-deploy',
      '--duration-seconds',
      '900',
    ]);
    const answer = JSON.parse(assumed.stdout);
    expect(answer.AssumedRoleUser.Arn).toBe(
      'arn:aws:sts::000000000000:assumed-role/cdk-hnb659fds-deploy-role-000000000000-us-east-1/cdk-deploy',
    );
    expect(answer.Credentials.AccessKeyId).toMatch(/^ASIA/);
    const expiresInMs = Date.parse(answer.Credentials.Expiration) - Date.now();
    expect(expiresInMs).toBeGreaterThan(800_000);
    expect(expiresInMs).toBeLessThanOrEqual(900_000);
    const credentials = {
      accessKeyId: answer.Credentials.AccessKeyId,
      secretAccessKey: answer.Credentials.SecretAccessKey,
      sessionToken: answer.Credentials.SessionToken,
    };
    const who = JSON.parse((await aws('aws', ['sts', 'get-caller-identity'], credentials)).stdout);
    expect(who.Arn).toBe(answer.AssumedRoleUser.Arn);
    expect(who.UserId).toBe(answer.AssumedRoleUser.AssumedRoleId);
    // The issued credentials work for the other services too.
    expect((await aws('aws', ['sqs', 'list-queues'], credentials)).code).toBe(0);

    const session = await formPost('sts', { Action: 'GetSessionToken', Version: '2011-06-15' });
    expect(session.status).toBe(200);
    expect(elements(session.body, 'AccessKeyId')[0]).toMatch(/^ASIA/);
  });

  it('refuses a made-up, missing or expired session token, a malformed role ARN, nested sessions and an unknown action', async () => {
    const junk = await aws('aws', ['sts', 'get-caller-identity'], { ...STATIC, sessionToken: 'made-up' });
    expect(junk.code).not.toBe(0);
    expect(junk.stderr).toContain('InvalidClientTokenId');
    const badArn = await aws('aws', [
      'sts',
      'assume-role',
      '--role-arn',
      'arn:aws:s3:::a-bucket-not-a-role',
      '--role-session-name',
      'session',
    ]);
    expect(badArn.stderr).toContain('ValidationError');
    const badSession = await formPost('sts', {
      Action: 'AssumeRole',
      RoleArn: DEPLOY_ROLE,
      RoleSessionName: 'a b',
    });
    expect(badSession.status).toBe(400);
    expect(elements(badSession.body, 'Code')).toEqual(['ValidationError']);
    const unknown = await formPost('sts', { Action: 'AssumeRoleWithSAML' });
    expect(elements(unknown.body, 'Code')).toEqual(['InvalidAction']);

    const assumed = await assumeDeployRole();
    const nested = await formPost('sts', { Action: 'GetSessionToken' }, { credentials: assumed });
    expect(nested.status).toBe(403);
    expect(elements(nested.body, 'Message')).toEqual([
      'Cannot call GetSessionToken with session credentials',
    ]);
    const withoutToken = await formPost(
      'sts',
      { Action: 'GetCallerIdentity' },
      { credentials: { accessKeyId: assumed.accessKeyId, secretAccessKey: assumed.secretAccessKey } },
    );
    expect(elements(withoutToken.body, 'Code')).toEqual(['InvalidClientTokenId']);
    const expired = issueCredentials(
      { arn: 'arn:aws:sts::000000000000:assumed-role/r/s', userId: 'AROAX:s', account: '000000000000' },
      900,
      Date.now() - 75 * 60_000,
    );
    const late = await formPost('sts', { Action: 'GetCallerIdentity' }, { credentials: expired });
    expect(late.status).toBe(400);
    expect(elements(late.body, 'Code')).toEqual(['ExpiredToken']);
  });
});

describe('the deployed HTTP API on the endpoint', () => {
  it("answers a signed scoring request at the stack's ScoringUrl output, the /_aws/execute-api path", async () => {
    expect(apiEndpoint).toBe(`${cloud.endpoint}/_aws/execute-api/${apiId}`);
    expect(deployment.outputs.ScoringUrl).toBe(`${apiEndpoint}/score`);
    const { status, body } = await signedScore(deployment.outputs.ScoringUrl as string);
    expect(status).toBe(200);
    expect(typeof body.score).toBe('number');
    expect(body.features).toMatchObject({ card_txn_count_10m: 0 });
  });

  it('answers on the execute-api host names LocalStack uses (curl --aws-sigv4)', async () => {
    const port = cloud.port;
    const localhost = await curlScore(`http://${apiId}.execute-api.localhost:${port}/score`, [
      '--resolve',
      `${apiId}.execute-api.localhost:${port}:127.0.0.1`,
    ]);
    expect(localhost.status).toBe(200);
    expect(typeof localhost.body.score).toBe('number');
    const localstack = `${apiId}.execute-api.localhost.localstack.cloud`;
    const viaLocalstackName = await curlScore(`http://${localstack}:${port}/score`, [
      '--resolve',
      `${localstack}:${port}:127.0.0.1`,
    ]);
    expect(viaLocalstackName.status).toBe(200);
    const pathForm = await curlScore(`${apiEndpoint}/score`, []);
    expect(pathForm.status).toBe(200);
  });

  it('answers over TLS on the same port: curl with the generated CA or --insecure, HTTP/2 and 1.1, Node https', async () => {
    const port = cloud.port;
    const withCa = await curlScore(`https://127.0.0.1:${port}/_aws/execute-api/${apiId}/score`, [
      '--cacert',
      caFile,
    ]);
    expect(withCa).toMatchObject({ status: 200, httpVersion: '2' });
    const host = `${apiId}.execute-api.localhost.localstack.cloud`;
    const http1 = await curlScore(`https://${host}:${port}/score`, [
      '--cacert',
      caFile,
      '--http1.1',
      '--resolve',
      `${host}:${port}:127.0.0.1`,
    ]);
    expect(http1).toMatchObject({ status: 200, httpVersion: '1.1' });
    const insecure = await curlScore(`https://localhost:${port}/_aws/execute-api/${apiId}/score`, [
      '--insecure',
    ]);
    expect(insecure.status).toBe(200);

    const url = new URL(`https://127.0.0.1:${port}/_aws/execute-api/${apiId}/score`);
    const headers = await signedPostHeaders(url, SCORE_REQUEST, { credentials: STATIC, region: REGION });
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest(url, { method: 'POST', headers, ca: cloud.caCertificate }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end(SCORE_REQUEST);
    });
    expect(answer.status).toBe(200);
    expect(typeof JSON.parse(answer.body).score).toBe('number');
  });

  it('accepts credentials the local STS issued, and refuses a made-up or expired session token', async () => {
    const assumed = await assumeDeployRole();
    expect((await signedScore(`${apiEndpoint}/score`, assumed)).status).toBe(200);

    const madeUp = await signedScore(`${apiEndpoint}/score`, { ...STATIC, sessionToken: 'made-up' });
    expect(madeUp).toEqual({
      status: 403,
      body: { message: 'The security token included in the request is invalid.' },
    });
    const otherKey = await signedScore(`${apiEndpoint}/score`, {
      ...assumed,
      accessKeyId: 'test',
      secretAccessKey: 'test',
    });
    expect(otherKey.status).toBe(403);
    const withoutToken = await signedScore(`${apiEndpoint}/score`, {
      accessKeyId: assumed.accessKeyId,
      secretAccessKey: assumed.secretAccessKey,
    });
    expect(withoutToken.status).toBe(403);

    // Issued an hour and a quarter ago for 15 minutes: expired.
    const expired = issueCredentials(
      { arn: 'arn:aws:sts::000000000000:assumed-role/r/s', userId: 'AROAX:s', account: '000000000000' },
      900,
      Date.now() - 75 * 60_000,
    );
    expect(await signedScore(`${apiEndpoint}/score`, expired)).toEqual({
      status: 403,
      body: { message: 'The security token included in the request is expired' },
    });
  });

  it('refuses a signature scoped to another region or service, as API Gateway does', async () => {
    const elsewhere = await curlScore(`${apiEndpoint}/score`, [], 'aws:amz:eu-west-1:execute-api');
    expect(elsewhere).toMatchObject({
      status: 403,
      body: { message: "Credential should be scoped to a valid region, not 'eu-west-1'. " },
    });
    const otherService = await signedScore(`${apiEndpoint}/score`, STATIC, { service: 'lambda' });
    expect(otherService).toEqual({
      status: 403,
      body: { message: "Credential should be scoped to correct service: 'execute-api'. " },
    });
  });

  it('answers 404 naming an API id that is not deployed', async () => {
    const response = await fetch(`${cloud.endpoint}/_aws/execute-api/nosuchapi/score`, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      message: 'No HTTP API with id nosuchapi is deployed on the local cloud',
    });
  });
});
