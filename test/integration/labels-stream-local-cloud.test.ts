/**
 * Delayed labels through Kinesis end to end on the local cloud, with the user's tools: the app deployed with the
 * CDK CLI and `labelsStream` on, requests scored through the scoring API, their labels (and one bad record) put on
 * the labels stream with `aws kinesis put-records`; the good labels land under `labels/stream/dt=…/` as plain JSON
 * Lines (read back with the AWS CLI) and are read by `streamfeatures monitor --labels s3://<bucket>/labels/`, which
 * joins them to the feature log; the bad record is under the side-output bucket's `labels-quarantine/` with its
 * reason and the record whole.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoringBody, signedPost } from '../../cli/demo-scoring.js';
import { keysUnder, untilKeysUnder, untilMonitorJoins } from '../support/labels-on-cloud.js';
import { UserSession } from '../support/user-session.js';

const MINUTES = 60_000;
const STACK = 'streamfeatures-dev';
/** The offline store's buffering for this deploy, which the labels' delivery stream takes too. */
const BUFFER_S = 5;
const SPEC_FILE = resolve('examples/fraud/spec.json');

let session: UserSession;
let outputs: {
  LabelsStreamName: string;
  ScoringUrl: string;
  OfflineBucket: string;
  SideOutputBucket: string;
};
const figures: Record<string, number | string> = {};

async function aws(label: string, args: string[]): Promise<string> {
  return (await session.sh(label, 'aws', args)).stdout;
}

beforeAll(async () => {
  session = UserSession.open('labels-stream', figures);
  await session.startLocalCloud();
  await session.bootstrap();
  outputs = await session.deploy<typeof outputs>(STACK, [
    'labelsStream=true',
    `offlineBufferInterval=${BUFFER_S}s`,
  ]);
}, 30 * MINUTES);

afterAll(() => session?.close('labels stream on the local cloud'), 10 * MINUTES);

const goodLines: string[] = [];
const BAD = JSON.stringify({ request_id: 'bad', label: 'yes', label_time: '2026-12-02T10:00:00Z' });

describe('labels through the labels stream on the local cloud', () => {
  it('outputs the labels stream name, a stream of its own', () => {
    expect(outputs.LabelsStreamName).toBeTruthy();
    expect(outputs.LabelsStreamName).not.toBe((outputs as unknown as { StreamName: string }).StreamName);
  });

  // The AWS CLI on the user's PATH (v1, as the README has it) base64-encodes a raw `Data` itself.
  it('takes labels of scored requests and a bad record with `aws kinesis put-records`', async () => {
    const now = Date.now();
    for (const [i, card] of ['stream-c1', 'stream-c2'].entries()) {
      const scored = await signedPost(
        outputs.ScoringUrl,
        scoringBody({ card_id: card, merchant_id: 'stream-merchant' }) as string,
      );
      expect(scored.status, scored.text).toBe(200);
      goodLines.push(
        JSON.stringify({ request_id: scored.requestId, label: i === 0 ? 1 : 0, label_time: now }),
      );
    }
    // A label naming its event by keys and time, for a card nothing scored: it reads, and joins nothing.
    goodLines.push(
      JSON.stringify({
        card_id: 'stream-unscored',
        merchant_id: 'stream-merchant',
        ts: '2026-12-01T10:00:00Z',
        label: false,
        label_time: '2026-12-02T10:00:00Z',
      }),
    );
    const records = [...goodLines.slice(0, 2), BAD, ...goodLines.slice(2)].map((Data) => ({
      Data,
      PartitionKey: 'labels',
    }));
    const answer = JSON.parse(
      await aws('put-records', [
        'kinesis',
        'put-records',
        '--stream-name',
        outputs.LabelsStreamName,
        '--records',
        JSON.stringify(records),
        '--output',
        'json',
      ]),
    ) as { FailedRecordCount?: number; Records: unknown[] };
    expect(answer.FailedRecordCount ?? 0).toBe(0);
    expect(answer.Records).toHaveLength(4);
  });

  it(
    'delivers the good labels as plain JSON Lines under labels/stream/dt=<day>/ (the AWS CLI reads them back)',
    async () => {
      const keys = await untilKeysUnder(session, outputs.OfflineBucket, 'labels/');
      for (const key of keys) expect(key).toMatch(/^labels\/stream\/dt=\d{4}-\d{2}-\d{2}\/[^/]+\.jsonl$/);
      let text = '';
      for (const key of keys)
        text += await aws('get', ['s3', 'cp', `s3://${outputs.OfflineBucket}/${key}`, '-']);
      expect(text.split('\n').filter(Boolean).sort()).toEqual([...goodLines].sort());
    },
    6 * MINUTES,
  );

  it(
    'sets the bad record aside under labels-quarantine/ with its reason and the record whole',
    async () => {
      const keys = await untilKeysUnder(session, outputs.SideOutputBucket, 'labels-quarantine/');
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatch(/^labels-quarantine\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/shardId-[^/]+\.jsonl$/);
      const text = await aws('get', ['s3', 'cp', `s3://${outputs.SideOutputBucket}/${keys[0]}`, '-']);
      const lines = text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toEqual([
        expect.objectContaining({
          reason: 'invalid',
          rule: 'label',
          message: '"label" must be 0, 1, true or false (got "yes")',
          partitionKey: 'labels',
          data: BAD,
        }),
      ]);
      // The events' quarantine stays the events'.
      expect(await keysUnder(session, outputs.SideOutputBucket, 'quarantine/')).toEqual([]);
    },
    6 * MINUTES,
  );

  it(
    'is read by `streamfeatures monitor --labels s3://<bucket>/labels/`, joined to the scored requests',
    async () => {
      const labels = await untilMonitorJoins(session, SPEC_FILE, outputs.OfflineBucket, 2);
      expect(labels).toMatchObject({ read: 3, joined: 2, unmatched: 1, setAside: 0 });
    },
    6 * MINUTES,
  );
});
