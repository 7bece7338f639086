/**
 * The product's DynamoDB clients: the features and score functions, the feature client's default and the CLI's
 * commands all make theirs here, so the options the product sets are stated once, each with its reason.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

/**
 * What the product sets on top of the SDK's defaults. Everything else is the SDK's: its retries for DynamoDB
 * (standard mode, throttles backed off), region, credentials and endpoint from the environment, signing, the
 * answers' parsing. The writer's correctness rests on those (conditional puts, retried throttles): none changes here.
 */
export const DYNAMODB_CLIENT_OPTIONS = {
  /**
   * Resolve the middleware stack once per command class instead of on every call (sorting and chaining its dozen
   * middleware anew): about a fifth of the SDK's own CPU a call on the writer's commands (bench/sdk-cpu.ts times both
   * clients side by side). The AWS SDK's own option; its cost is that middleware added after the first call is not
   * seen, and the product adds none (X-Ray's is added when the function captures the client, before any call).
   */
  cacheMiddleware: true,
} as const satisfies DynamoDBClientConfig;

/** A DynamoDB client with the product's options; `config` adds to them (an endpoint, a region, credentials). */
export function createDynamoDbClient(config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({ ...DYNAMODB_CLIENT_OPTIONS, ...config });
}
