/**
 * The AWS SDK's own CPU a call: the writer's real commands (one timed batch's) sent through a DynamoDB client whose
 * HTTP handler answers at once with an empty JSON body, so what is timed is the SDK building, signing and parsing,
 * no network and no DynamoDB. Best of three passes (the first warms the code up). Answers that carry items
 * (BatchGetItem's) are parsed in the real run and not here: a floor for those calls.
 */
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

type Command = Parameters<DynamoDBClient['send']>[0];

export function cannedClient(): DynamoDBClient {
  return new DynamoDBClient({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
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
  });
}

/** Process CPU ms a call to send `commands` one after another through the canned client. */
export async function sdkCpuMsPerCall(commands: readonly Command[]): Promise<number> {
  if (commands.length === 0) return Number.NaN;
  const client = cannedClient();
  try {
    let best = Number.POSITIVE_INFINITY;
    for (let pass = 0; pass < 3; pass++) {
      const cpu0 = process.cpuUsage();
      for (const command of commands) await client.send(command as never);
      const cpu = process.cpuUsage(cpu0);
      best = Math.min(best, (cpu.user + cpu.system) / 1000 / commands.length);
    }
    return best;
  } finally {
    client.destroy();
  }
}
