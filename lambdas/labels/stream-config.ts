import * as z from 'zod/mini';
import { type Env, keyPrefix, readEnv, required } from '../shared/config.js';

const schema = z.object({
  DELIVERY_STREAM_NAME: required('the Firehose delivery stream the labels go to'),
  SIDE_OUTPUT_BUCKET: required('the S3 bucket for records that are not labels'),
  QUARANTINE_PREFIX: keyPrefix('labels-quarantine/'),
});

export interface LabelsStreamConfig {
  /** The delivery stream's name. */
  readonly deliveryStream: string;
  readonly sideOutputBucket: string;
  /** Where records that are not labels go, in the side-output bucket. */
  readonly quarantinePrefix: string;
}

export function readLabelsStreamConfig(env: Env): LabelsStreamConfig {
  const c = readEnv(schema, env, 'labels-stream');
  return {
    deliveryStream: c.DELIVERY_STREAM_NAME,
    sideOutputBucket: c.SIDE_OUTPUT_BUCKET,
    quarantinePrefix: c.QUARANTINE_PREFIX,
  };
}
