/** S3 buckets. */

import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { synthesizedAttributes } from '../naming.js';
import { notApplied } from '../util.js';
import type { Created, CreatorContext } from './context.js';

export async function createS3Bucket(
  ctx: CreatorContext,
  logicalId: string,
  p: Record<string, unknown>,
): Promise<Created> {
  const { local, s3, nameFor } = ctx;
  const name = nameFor('AWS::S3::Bucket', logicalId, p);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: name }));
  } catch (error) {
    if ((error as Error).name !== 'BucketAlreadyOwnedByYou') throw error;
  }
  return {
    ...synthesizedAttributes('AWS::S3::Bucket', logicalId, name, local),
    notes: notApplied(p, ['BucketName']),
  };
}
