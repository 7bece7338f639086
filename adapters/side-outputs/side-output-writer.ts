import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** Where side-output objects (quarantine, late, oversize archive records) go: S3 in AWS, a map in tests. */
export interface SideOutputWriter {
  /** Writes one JSON Lines object, replacing any object under the same key. */
  put(key: string, body: string): Promise<void>;
}

/** Writes side outputs to an S3 bucket. */
export class S3SideOutputWriter implements SideOutputWriter {
  constructor(
    private readonly client: Pick<S3Client, 'send'>,
    readonly bucket: string,
  ) {}

  async put(key: string, body: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/x-ndjson',
      }),
    );
  }
}

/** Keeps the objects in memory: for tests and in-process runs. */
export class MemorySideOutputWriter implements SideOutputWriter {
  readonly objects = new Map<string, string>();

  async put(key: string, body: string): Promise<void> {
    this.objects.set(key, body);
  }

  /** The lines of every object whose key starts with `prefix`, parsed, in key order. */
  lines(prefix = ''): unknown[] {
    return [...this.objects.keys()]
      .filter((key) => key.startsWith(prefix))
      .sort()
      .flatMap((key) => jsonLines(this.objects.get(key) as string));
  }
}

function jsonLines(body: string): unknown[] {
  return body
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);
}
