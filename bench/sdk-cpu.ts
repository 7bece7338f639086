/**
 * The AWS SDK's own CPU a call: the writer's real commands (one timed batch's) sent through DynamoDB clients whose
 * HTTP handler answers at once with an empty JSON body, so what is timed is the SDK building, signing and parsing,
 * no network and no DynamoDB. Two clients side by side, passes alternating between them so both see the same machine:
 * the product's (adapters/dynamodb-client.ts, as the functions make it) and one with the SDK's defaults, for the
 * product's options' saving. Best of five passes each (the first warms the code up). Answers that carry items
 * (BatchGetItem's) are parsed in the real run and not here: a floor for those calls.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '../adapters/dynamodb-client.js';
import { CANNED_DYNAMODB } from '../test/support/canned-dynamodb.js';

type Command = Parameters<DynamoDBClient['send']>[0];

const PASSES = 5;

/** The SDK's CPU a call, ms: the product's client and one with the SDK's defaults, on the same commands. */
export interface SdkCpu {
  product: number;
  sdkDefaults: number;
}

/** Process CPU ms a call to send `commands` one after another through each canned client. */
export async function sdkCpuMsPerCall(commands: readonly Command[]): Promise<SdkCpu> {
  if (commands.length === 0) return { product: Number.NaN, sdkDefaults: Number.NaN };
  const clients = {
    product: createDynamoDbClient(CANNED_DYNAMODB),
    sdkDefaults: new DynamoDBClient(CANNED_DYNAMODB),
  };
  try {
    const best = { product: Number.POSITIVE_INFINITY, sdkDefaults: Number.POSITIVE_INFINITY };
    for (let pass = 0; pass < PASSES; pass++) {
      for (const name of ['product', 'sdkDefaults'] as const) {
        const cpu0 = process.cpuUsage();
        for (const command of commands) await clients[name].send(command as never);
        const cpu = process.cpuUsage(cpu0);
        best[name] = Math.min(best[name], (cpu.user + cpu.system) / 1000 / commands.length);
      }
    }
    return best;
  } finally {
    clients.product.destroy();
    clients.sdkDefaults.destroy();
  }
}
