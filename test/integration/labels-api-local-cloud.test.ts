/**
 * `POST /labels` end to end on the local cloud, with the user's tools: the app deployed with the CDK CLI and
 * `ingestApi` on, requests scored through the scoring API, their delayed labels sent to the ingest API with
 * `curl --aws-sigv4`, delivered by the Firehose emulator under `labels/api/dt=…/` as plain JSON Lines (read back
 * with the AWS CLI), and read by `streamfeatures monitor --labels s3://<bucket>/labels/`, which joins them to the
 * feature log. A body with a bad line is answered 400 naming it, and none of its labels arrives.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoringBody, signedPost } from '../../cli/demo-scoring.js';
import { untilMonitorJoins } from '../support/labels-on-cloud.js';
import { until } from '../support/until.js';
import { UserSession } from '../support/user-session.js';

const run = promisify(execFile);
const MINUTES = 60_000;
const STACK = 'streamfeatures-dev';
/** The offline store's buffering for this deploy, which the labels stream takes too. */
const BUFFER_S = 5;
const SPEC_FILE = resolve('examples/fraud/spec.json');

let session: UserSession;
let outputs: { LabelsUrl: string; ScoringUrl: string; OfflineBucket: string };
const figures: Record<string, number | string> = {};

/** curl --aws-sigv4 POST of `body` to `url`, as a user calls the API: the status and the parsed answer. */
async function curlPost(url: string, body: string) {
  const { stdout } = await run('curl', [
    '--silent',
    '--show-error',
    '--aws-sigv4',
    'aws:amz:us-east-1:execute-api',
    '--user',
    'test:test',
    '-H',
    'content-type: application/x-ndjson',
    '--data-binary',
    body,
    '--write-out',
    '\n%{http_code}',
    url,
  ]);
  const lines = stdout.split('\n');
  const status = Number(lines.pop());
  return { status, body: JSON.parse(lines.join('\n')) as Record<string, unknown> };
}

async function aws(label: string, args: string[]): Promise<string> {
  return (await session.sh(label, 'aws', args)).stdout;
}

beforeAll(async () => {
  session = UserSession.open('labels-api', figures);
  await session.startLocalCloud();
  await session.bootstrap();
  outputs = await session.deploy<typeof outputs>(STACK, [
    'ingestApi=true',
    `offlineBufferInterval=${BUFFER_S}s`,
  ]);
}, 30 * MINUTES);

afterAll(() => session?.close('labels API on the local cloud'), 10 * MINUTES);

const requestIds: string[] = [];
/** A label naming its request by entity keys and time, for a card nothing scored: it reads, and joins nothing. */
const byKeys = {
  card_id: 'labels-unscored-card',
  merchant_id: 'labels-merchant',
  ts: '2026-12-01T10:00:00Z',
  label: false,
  label_time: '2026-12-02T10:00:00Z',
};
let sentLines: string[] = [];

describe('POST /labels on the local cloud', () => {
  it('outputs the labels URL on the ingest API', () => {
    expect(outputs.LabelsUrl).toMatch(/\/labels$/);
  });

  it('accepts labels of scored requests as JSON Lines (curl --aws-sigv4) and answers 202 with the count', async () => {
    for (const card of ['labels-c1', 'labels-c2', 'labels-c3']) {
      const scored = await signedPost(
        outputs.ScoringUrl,
        scoringBody({ card_id: card, merchant_id: 'labels-merchant' }) as string,
      );
      expect(scored.status, scored.text).toBe(200);
      requestIds.push(scored.requestId as string);
    }
    const now = Date.now();
    sentLines = [
      ...requestIds.map((id, i) =>
        JSON.stringify({ request_id: id, label: i === 0 ? 1 : 0, label_time: now }),
      ),
      JSON.stringify(byKeys),
    ];
    const answer = await curlPost(outputs.LabelsUrl, `${sentLines.join('\n')}\n`);
    expect(answer).toEqual({ status: 202, body: { accepted: 4 } });
  });

  it('answers 400 naming the bad line and its reason, and delivers none of that body', async () => {
    const body = [
      JSON.stringify({ request_id: 'not-delivered', label: 1, label_time: Date.now() }),
      JSON.stringify({ request_id: 'bad', label: 'yes', label_time: Date.now() }),
    ].join('\n');
    const answer = await curlPost(outputs.LabelsUrl, body);
    expect(answer.status).toBe(400);
    expect(answer.body.rejected).toEqual([
      { index: 1, line: 2, reason: '"label" must be 0, 1, true or false (got "yes")' },
    ]);
    expect(answer.body.message).toMatch(/^1 of 2 labels rejected, none delivered: line 2: /);
  });

  it('lands as one plain JSON Lines object under labels/api/dt=<day>/ (the AWS CLI reads it back)', async () => {
    const listed = await until(
      'the labels object',
      async () => {
        const answer = JSON.parse(
          (await aws('list labels', [
            's3api',
            'list-objects-v2',
            '--bucket',
            outputs.OfflineBucket,
            '--prefix',
            'labels/',
            '--output',
            'json',
          ])) || '{}',
        ) as { Contents?: { Key: string }[] };
        return answer.Contents?.length ? answer.Contents : undefined;
      },
      { timeoutMs: 5 * MINUTES },
    );
    expect(listed).toHaveLength(1);
    const key = listed[0]?.Key as string;
    const day = new Date().toISOString().slice(0, 10);
    expect(key).toMatch(new RegExp(`^labels/api/dt=(${day}|\\d{4}-\\d{2}-\\d{2})/[^/]+\\.jsonl$`));
    const text = await aws('get labels', ['s3', 'cp', `s3://${outputs.OfflineBucket}/${key}`, '-']);
    expect(text).toBe(`${sentLines.join('\n')}\n`);
  });

  it('is read by `streamfeatures monitor --labels s3://<bucket>/labels/`, joined to the scored requests', async () => {
    const labels = await untilMonitorJoins(session, SPEC_FILE, outputs.OfflineBucket, 3);
    expect(labels).toMatchObject({ read: 4, joined: 3, unmatched: 1, setAside: 0, files: 1 });
  });
});
