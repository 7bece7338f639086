/**
 * Label objects on the local cloud's S3 for the tests that count what the monitoring job and the CLIs fetch: a
 * client that records every object it gets, and two label objects last modified at distinct seconds.
 */
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

export const LABELS_BUCKET = 'offline';
export const OLD_LABELS_KEY = 'labels/2026-11/old.jsonl';
export const NEW_LABELS_KEY = 'labels/2026-12/new.jsonl';

/** One delayed label line. */
export const labelLine = (requestId: string) =>
  `${JSON.stringify({ request_id: requestId, label: 1, label_time: '2026-12-01T10:00:00Z' })}\n`;

/** An S3 client on the cloud at `endpoint` that appends the key of every GetObject it sends to `fetched`. */
export function fetchRecordingS3(endpoint: string, fetched: string[]): S3Client {
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    forcePathStyle: true,
  });
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetObjectCommand') fetched.push((args.input as { Key: string }).Key);
      return next(args);
    },
    { step: 'initialize', name: 'recordGetObject' },
  );
  return s3;
}

/**
 * Creates the labels bucket with an old label object (request `a`) and a new one (request `b`) last modified
 * strictly later, and answers their last-modified times (ms).
 */
export async function putOldAndNewLabels(s3: S3Client): Promise<{ oldWritten: number; newWritten: number }> {
  const lastModified = async (key: string) =>
    (
      (await s3.send(new HeadObjectCommand({ Bucket: LABELS_BUCKET, Key: key }))).LastModified as Date
    ).getTime();
  await s3.send(new CreateBucketCommand({ Bucket: LABELS_BUCKET }));
  await s3.send(new PutObjectCommand({ Bucket: LABELS_BUCKET, Key: OLD_LABELS_KEY, Body: labelLine('a') }));
  const oldWritten = await lastModified(OLD_LABELS_KEY);
  // S3 keeps LastModified to the second: write the newer object until its time is later (a deadline, no sleep).
  const deadline = Date.now() + 30_000;
  for (;;) {
    await s3.send(new PutObjectCommand({ Bucket: LABELS_BUCKET, Key: NEW_LABELS_KEY, Body: labelLine('b') }));
    const newWritten = await lastModified(NEW_LABELS_KEY);
    if (newWritten > oldWritten) return { oldWritten, newWritten };
    if (Date.now() > deadline)
      throw new Error(`${NEW_LABELS_KEY} was never last modified after ${OLD_LABELS_KEY}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
