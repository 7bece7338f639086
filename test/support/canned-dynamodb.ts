/**
 * DynamoDB client settings that answer every call at once with an empty JSON body: no network, no DynamoDB. For
 * tests of the client's own configuration and for the bench that times the SDK's CPU a call.
 */
import { Readable } from 'node:stream';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

export const CANNED_DYNAMODB: DynamoDBClientConfig = {
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'canned', secretAccessKey: 'canned' },
  requestHandler: {
    handle: async () => ({
      response: {
        statusCode: 200,
        reason: 'OK',
        headers: { 'content-type': 'application/x-amz-json-1.0' },
        body: Readable.from([Buffer.from('{}')]),
      },
    }),
  } as never,
};
