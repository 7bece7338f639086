/**
 * The code of one execution environment, run in a `worker_threads` Worker: imports the function's module,
 * finds the handler, then answers invocation messages one at a time, as the Node.js runtime interface client
 * does. It imports nothing of the project but types (erased), so it runs as a file of its own: bundled to
 * dist/lambda-worker.mjs, or transpiled from this file when the local cloud runs from source (worker-script.ts).
 */

import { parentPort, workerData } from 'node:worker_threads';
import type { LambdaError } from './types.js';
import type { InvokeMessage, WorkerData, WorkerMessage } from './worker-messages.js';

type Handler = (
  event: unknown,
  context: unknown,
  callback?: (error: unknown, value?: unknown) => void,
) => unknown;

const port = parentPort;
if (port === null) throw new Error('worker.ts runs in a Worker only');
const data = workerData as WorkerData;
const post = (message: WorkerMessage) => port.postMessage(message);

if (data.sourceMaps) process.setSourceMapsEnabled(true);

function errorOf(error: unknown): LambdaError {
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
    };
  }
  let message: string;
  try {
    message = typeof error === 'string' ? error : String(JSON.stringify(error));
  } catch {
    message = String(error);
  }
  return { errorType: typeof error, errorMessage: message };
}

function isLambdaError(value: unknown): value is LambdaError {
  return typeof value === 'object' && value !== null && typeof (value as LambdaError).errorType === 'string';
}

// Output goes through the message port, the channel results take, so a log line is never behind its END.
for (const name of ['stdout', 'stderr'] as const) {
  const stream = process[name];
  stream.write = ((chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    let done = callback;
    let charset = encoding;
    if (typeof charset === 'function') {
      done = charset;
      charset = undefined;
    }
    const text =
      typeof chunk === 'string'
        ? chunk
        : Buffer.from(chunk as Uint8Array).toString(
            typeof charset === 'string' && charset !== 'buffer' ? (charset as BufferEncoding) : 'utf8',
          );
    post({ type: 'log', text });
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  }) as typeof stream.write;
}

process.on('unhandledRejection', (reason) => {
  const error = errorOf(reason);
  post({
    type: 'fatal',
    error: {
      errorType: 'Runtime.UnhandledPromiseRejection',
      errorMessage: `${error.errorType}: ${error.errorMessage}`,
      ...(error.trace ? { trace: error.trace } : {}),
    },
  });
  process.exit(128);
});

function exportAt(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const part of path) value = value == null ? undefined : (value as Record<string, unknown>)[part];
  return value;
}

const started = performance.now();
const loaded: Promise<Handler> = (async () => {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(data.moduleUrl)) as Record<string, unknown>;
  } catch (error) {
    const e = errorOf(error);
    throw {
      errorType: 'Runtime.ImportModuleError',
      errorMessage: `${e.errorType}: ${e.errorMessage}`,
      trace: e.trace,
    } satisfies LambdaError;
  }
  let fn = exportAt(mod, data.exportPath);
  if (typeof fn !== 'function' && mod.default != null) fn = exportAt(mod.default, data.exportPath);
  if (typeof fn !== 'function') {
    throw {
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: `${data.handler} is undefined or not exported`,
    } satisfies LambdaError;
  }
  return fn as Handler;
})();
loaded.then(
  () => post({ type: 'ready', initDurationMs: performance.now() - started }),
  (error: unknown) => post({ type: 'initError', error: isLambdaError(error) ? error : errorOf(error) }),
);

async function run(fn: Handler, event: unknown, context: unknown): Promise<unknown> {
  if (fn.length < 3) return await fn(event, context);
  return await new Promise((resolve, reject) => {
    const returned = fn(event, context, (error, value) => (error ? reject(error) : resolve(value)));
    if (returned && typeof (returned as Promise<unknown>).then === 'function')
      (returned as Promise<unknown>).then(resolve, reject);
  });
}

port.on('message', async (message: InvokeMessage) => {
  if (message.type !== 'invoke') return;
  const fn = await loaded;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: data.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: data.functionArn,
    memoryLimitInMB: String(data.memorySize),
    awsRequestId: message.requestId,
    logGroupName: data.logGroupName,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
  };
  try {
    const result = await run(fn, JSON.parse(message.event) as unknown, context);
    const payload = result === undefined ? 'null' : JSON.stringify(result);
    post({ type: 'done', id: message.id, ok: true, payload: payload === undefined ? 'null' : payload });
  } catch (error) {
    post({ type: 'done', id: message.id, ok: false, error: errorOf(error) });
  }
});
