/**
 * DynamoDB's per-call latency as the writer sees it: the time of each HTTP exchange (request sent, answer's headers
 * back), timed by a middleware innermost in the client's stack, so the SDK's own work (building, signing, parsing)
 * and its retries fall outside (a retried call counts as two exchanges).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Installs the timing middleware once; each exchange's milliseconds go to `sink.current` while it is set. */
export function timeCalls(client: DynamoDBClient): { current: number[] | undefined } {
  const sink: { current: number[] | undefined } = { current: undefined };
  client.middlewareStack.add(
    (next) => async (args) => {
      const into = sink.current;
      const start = performance.now();
      try {
        return await next(args);
      } finally {
        into?.push(performance.now() - start);
      }
    },
    { step: 'deserialize', priority: 'low', name: 'benchCallLatency' },
  );
  return sink;
}
