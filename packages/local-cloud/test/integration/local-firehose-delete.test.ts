/**
 * DeleteDeliveryStream as Firehose does it: the stream is DELETING while what it buffered is delivered, then
 * gone, so a stack's deletion (which waits for it) never deletes the bucket or table under a last delivery. The
 * S3 behind the emulator is a small server that holds each PutObject until the test lets it through.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateDeliveryStreamCommand,
  DeleteDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  PutRecordBatchCommand,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-firehose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirehoseEmulator } from '../../src/firehose-emulator.js';

/** An S3 that answers each PutObject only when `release` is called, and keeps the bodies it stored. */
function heldS3() {
  const stored = new Map<string, string>();
  const held: (() => void)[] = [];
  let arrived: (() => void) | undefined;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      held.push(() => {
        stored.set(req.url ?? '', Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { etag: '"0"' }).end();
      });
      arrived?.();
    });
  });
  return {
    server,
    stored,
    /** Resolves once a PutObject is being held. */
    putArrived: () =>
      held.length > 0 ? Promise.resolve() : new Promise<void>((resolve) => (arrived = resolve)),
    release: () => {
      for (const answer of held.splice(0)) answer();
    },
  };
}

let s3: ReturnType<typeof heldS3>;
let firehose: FirehoseEmulator;
let client: FirehoseClient;

beforeAll(async () => {
  s3 = heldS3();
  await new Promise<void>((resolve) => s3.server.listen(0, '127.0.0.1', resolve));
  const { port } = s3.server.address() as AddressInfo;
  firehose = await new FirehoseEmulator({ s3Endpoint: `http://127.0.0.1:${port}` }).start();
  client = new FirehoseClient({
    endpoint: firehose.origin,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  s3?.release();
  client?.destroy();
  await firehose?.stop();
  await new Promise((resolve) => s3?.server.close(resolve));
});

describe('DeleteDeliveryStream', () => {
  it('keeps the stream DELETING until its buffered records are in S3, then frees the name', async () => {
    const name = 'deleted-stream';
    await client.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: name,
        ExtendedS3DestinationConfiguration: {
          BucketARN: 'arn:aws:s3:::lake',
          RoleARN: 'arn:aws:iam::000000000000:role/firehose',
          Prefix: 'raw/',
          BufferingHints: { IntervalInSeconds: 900, SizeInMBs: 128 },
        },
      }),
    );
    const records = ['a\n', 'b\n'].map((s) => ({ Data: new TextEncoder().encode(s) }));
    await client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: records }));

    await client.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: name }));
    await s3.putArrived();
    const deleting = await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }));
    expect(deleting.DeliveryStreamDescription?.DeliveryStreamStatus).toBe('DELETING');
    // Deleting it again is no error; its name is not free yet.
    await client.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: name }));
    await expect(
      client.send(
        new CreateDeliveryStreamCommand({
          DeliveryStreamName: name,
          ExtendedS3DestinationConfiguration: {
            BucketARN: 'arn:aws:s3:::lake',
            RoleARN: 'arn:aws:iam::000000000000:role/firehose',
          },
        }),
      ),
    ).rejects.toThrow(ResourceInUseException);
    // Records put to a stream being deleted are refused, as to one that is gone.
    await expect(
      client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: records })),
    ).rejects.toThrow(ResourceNotFoundException);

    s3.release();
    await expect.poll(() => s3.stored.size, { timeout: 30_000 }).toBe(1);
    await expect
      .poll(
        () =>
          client
            .send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))
            .then(() => 'present')
            .catch((error: unknown) => (error instanceof ResourceNotFoundException ? 'gone' : String(error))),
        { timeout: 30_000 },
      )
      .toBe('gone');
    expect([...s3.stored.entries()]).toEqual([[expect.stringMatching(/^\/lake\/raw\//), 'a\nb\n']]);
  });
});
