import * as z from 'zod/mini';
import { type Env, readEnv, required } from '../shared/config.js';

const schema = z.object({
  DELIVERY_STREAM_NAME: required('the Firehose delivery stream the labels go to'),
});

export interface LabelsConfig {
  /** The delivery stream's name. */
  readonly deliveryStream: string;
}

export function readLabelsConfig(env: Env): LabelsConfig {
  return { deliveryStream: readEnv(schema, env, 'labels').DELIVERY_STREAM_NAME };
}
