/**
 * The local CloudWatch Logs: a LogStore behind Logs' JSON 1.1 protocol, and the sink functions write their
 * lines to (each function's group `/aws/lambda/<name>`, one stream per execution environment).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FunctionLogSink } from '../lambda-runtime.js';
import { jsonProtocolHandler } from '../services/json-protocol.js';
import { LOGS_TARGET_PREFIX, logsOperations } from './api.js';
import { DEFAULT_MAX_EVENTS_PER_GROUP, LogStore } from './log-store.js';

export interface LogsServiceOptions {
  region?: string;
  accountId?: string;
  /** @default 10_000 */
  maxEventsPerGroup?: number;
  onInternalError?: (message: string) => void;
}

export interface LogsService {
  readonly store: LogStore;
  /** Where functions write their lines (LambdaFunctionConfig.logSink). */
  readonly sink: FunctionLogSink;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createLogsService(options: LogsServiceOptions = {}): LogsService {
  const store = new LogStore(options.maxEventsPerGroup ?? DEFAULT_MAX_EVENTS_PER_GROUP);
  const handle = jsonProtocolHandler({
    targetPrefix: LOGS_TARGET_PREFIX,
    contentType: 'application/x-amz-json-1.1',
    operations: logsOperations({
      store,
      region: options.region ?? 'us-east-1',
      accountId: options.accountId ?? '000000000000',
    }),
    ...(options.onInternalError ? { onInternalError: options.onInternalError } : {}),
  });
  return {
    store,
    sink: (event) =>
      store.append(event.logGroupName, event.logStreamName, [event], { create: true, now: event.timestamp }),
    handle: (req, res) => handle(req, res),
  };
}
