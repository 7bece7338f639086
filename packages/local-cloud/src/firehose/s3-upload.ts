/** Objects of the local S3: written with one PutObject, or a multipart upload for large objects; read whole. */

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';

/** An object's bytes. */
export async function getObject(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from((await answer.Body?.transformToByteArray()) ?? new Uint8Array());
}

/** Objects above this go up in multipart uploads of parts this size (fauxqs takes at most 11 MiB a request). */
const MULTIPART_PART_BYTES = 8 * 1024 * 1024;

export async function putObject(s3: S3Client, bucket: string, key: string, body: Uint8Array): Promise<void> {
  if (body.length <= MULTIPART_PART_BYTES) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return;
  }
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  try {
    const parts: { ETag: string | undefined; PartNumber: number }[] = [];
    for (let offset = 0, n = 1; offset < body.length; offset += MULTIPART_PART_BYTES, n++) {
      const { ETag } = await s3.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          PartNumber: n,
          Body: body.subarray(offset, offset + MULTIPART_PART_BYTES),
        }),
      );
      parts.push({ ETag, PartNumber: n });
    }
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } catch (error) {
    await s3
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }))
      .catch(() => undefined);
    throw error;
  }
}

// -------------------------------------------------------------------------------------------------------
// HTTP
