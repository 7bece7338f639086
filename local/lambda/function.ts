/** A local Lambda function: its execution environment, invocations in turn, stats and log lines. */

import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { functionEnvironment, logGroupOf, newLogStreamName } from './environment-variables.js';
import { type Environment, startEnvironment } from './execution-environment.js';
import { resolveHandler } from './handler-module.js';
import type {
  InvokeInfo,
  InvokeOutcome,
  LambdaError,
  LambdaFunctionConfig,
  LambdaFunctionStats,
  LocalLambdaFunction,
} from './types.js';

/** Lambda's limit on a synchronous invocation's request and response payloads. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const LOG_LINES_KEPT = 2_000;

/** Creates the function: nothing starts until the first invocation (the cold start). */
export function createLambdaFunction(config: LambdaFunctionConfig): LocalLambdaFunction {
  const runtime = config.runtime ?? 'nodejs22.x';
  if (!runtime.startsWith('nodejs')) {
    throw new Error(
      `Function ${config.functionName}: runtime ${runtime} cannot run here (Node.js runtimes only)`,
    );
  }
  const region = config.region ?? 'us-east-1';
  const accountId = config.accountId ?? '000000000000';
  const functionArn =
    config.functionArn ?? `arn:aws:lambda:${region}:${accountId}:function:${config.functionName}`;
  const timeoutMs = Math.round((config.timeoutSeconds ?? 3) * 1000);
  const memorySize = config.memorySize ?? 128;
  const logGroupName = logGroupOf(config);
  // Built once here so a reserved variable fails the creation, not the first invocation.
  const baseEnv = functionEnvironment(config);
  const { file, exportPath } = resolveHandler(config.codeDir, config.handler);
  const sourceMaps = /(^|\s)--enable-source-maps(\s|$)/.test(baseEnv.NODE_OPTIONS ?? '');

  const logLines: string[] = [];
  /** The lines of the invocation running now (invocations run one at a time). */
  let invocationLines: string[] | undefined;
  const log = (line: string, logStreamName: string) => {
    logLines.push(line);
    if (logLines.length > LOG_LINES_KEPT) logLines.splice(0, logLines.length - LOG_LINES_KEPT);
    invocationLines?.push(line);
    config.onLog?.(line);
    config.logSink?.({ logGroupName, logStreamName, timestamp: Date.now(), message: line });
  };
  const stats: LambdaFunctionStats = {
    invocations: 0,
    errors: 0,
    timeouts: 0,
    coldStarts: 0,
    initDurationsMs: [],
    totalDurationMs: 0,
  };

  let current: Environment | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const newEnvironment = () => {
    const logStreamName = newLogStreamName();
    return startEnvironment({
      env: { ...baseEnv, AWS_LAMBDA_LOG_STREAM_NAME: logStreamName },
      logStreamName,
      memorySize,
      onLine: (line) => log(line, logStreamName),
      workerData: {
        moduleUrl: pathToFileURL(resolve(file)).href,
        exportPath,
        handler: config.handler,
        sourceMaps,
        functionName: config.functionName,
        functionArn,
        memorySize,
        logGroupName,
      },
    });
  };

  const invokeNow = async (event: unknown): Promise<InvokeOutcome> => {
    const requestId = randomUUID();
    const base = { requestId, coldStart: false, timedOut: false };
    let text: string;
    try {
      text = JSON.stringify(event ?? null);
    } catch (error) {
      return failed(base, 0, {
        errorType: 'InvalidRequestContentException',
        errorMessage: `Could not serialize the event: ${(error as Error).message}`,
      });
    }
    if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
      return failed(base, 0, {
        errorType: 'RequestTooLargeException',
        errorMessage: `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
      });
    }
    stats.invocations++;
    const lines: string[] = [];
    invocationLines = lines;
    try {
      return await runInvocation(requestId, text, lines);
    } finally {
      invocationLines = undefined;
    }
  };

  const runInvocation = async (requestId: string, text: string, lines: string[]): Promise<InvokeOutcome> => {
    const base = { requestId, coldStart: false, timedOut: false, logLines: lines };
    let initDurationMs: number | undefined;
    if (current === undefined || current.ended()) {
      stats.coldStarts++;
      const started = await newEnvironment();
      initDurationMs = round(started.initDurationMs);
      stats.initDurationsMs.push(initDurationMs);
      if ('initError' in started) {
        stats.errors++;
        const stream = started.logStreamName;
        log(
          `INIT_REPORT Init Duration: ${initDurationMs} ms Phase: init Status: error Error Type: ${started.initError.errorType}`,
          stream,
        );
        log(JSON.stringify(started.initError), stream);
        return failed({ ...base, coldStart: true, initDurationMs }, 0, started.initError);
      }
      current = started;
    }
    const environment = current;
    const stream = environment.logStreamName;
    log(`START RequestId: ${requestId} Version: $LATEST`, stream);
    const startedAt = performance.now();
    const deadline = Date.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout('timeout'), timeoutMs);
    });
    const settled = await Promise.race([environment.run(requestId, text, deadline), timedOut]);
    clearTimeout(timer);
    const durationMs = round(performance.now() - startedAt);
    stats.totalDurationMs += durationMs;
    const info = {
      ...base,
      coldStart: initDurationMs !== undefined,
      ...(initDurationMs === undefined ? {} : { initDurationMs }),
    };
    const report = (status: string) => {
      log(`END RequestId: ${requestId}`, stream);
      log(
        `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.ceil(durationMs)} ms\t` +
          `Memory Size: ${memorySize} MB${initDurationMs === undefined ? '' : `\tInit Duration: ${initDurationMs.toFixed(2)} ms`}${status}`,
        stream,
      );
    };
    if (settled === 'timeout') {
      stats.timeouts++;
      stats.errors++;
      await environment.terminate();
      current = undefined;
      const seconds = (timeoutMs / 1000).toFixed(2);
      report('\tStatus: timeout');
      log(`${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`, stream);
      return failed({ ...info, timedOut: true }, durationMs, {
        errorType: 'Sandbox.Timedout',
        errorMessage: `${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`,
      });
    }
    if (!settled.ok) {
      stats.errors++;
      if (settled.ended) {
        current = undefined;
        report('\tStatus: error');
      } else report('');
      log(JSON.stringify({ ...settled.error, requestId }), stream);
      return failed({ ...info, timedOut: false }, durationMs, settled.error);
    }
    report('');
    if (Buffer.byteLength(settled.payload) > MAX_PAYLOAD_BYTES) {
      stats.errors++;
      return failed({ ...info, timedOut: false }, durationMs, {
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_PAYLOAD_BYTES} bytes).`,
      });
    }
    return {
      ...info,
      timedOut: false,
      durationMs,
      ok: true,
      payload: JSON.parse(settled.payload) as unknown,
    };
  };

  return {
    functionName: config.functionName,
    functionArn,
    config,
    invoke(event) {
      if (stopped) {
        return Promise.resolve(
          failed({ requestId: randomUUID(), coldStart: false, timedOut: false }, 0, {
            errorType: 'ResourceNotFoundException',
            errorMessage: `Function ${config.functionName} was stopped`,
          }),
        );
      }
      const run = queue.then(() => invokeNow(event));
      queue = run.catch(() => undefined);
      return run;
    },
    stats: () => ({ ...stats, initDurationsMs: [...stats.initDurationsMs] }),
    logs: () => [...logLines],
    async stop() {
      stopped = true;
      const environment = current;
      current = undefined;
      await environment?.terminate();
    },
  };
}

function failed(
  info: Omit<InvokeInfo, 'durationMs'>,
  durationMs: number,
  error: LambdaError,
): InvokeOutcome & { ok: false } {
  return { ...info, durationMs, ok: false, error, functionError: 'Unhandled' };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
