/**
 * A local Lambda function: its execution environments, stats and log lines. As Lambda scales a function, an
 * invocation takes an idle environment or, when all are busy, starts another (a cold start), up to
 * `maxConcurrency`; past that it waits for one to be free (Lambda would throttle instead). An environment runs
 * one invocation at a time, so a Kinesis mapping (one batch in flight per shard) gets one environment per
 * shard, as on AWS.
 */

import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NO_SERVICE_METRICS } from '../cloudwatch/service-metrics.js';
import { functionEnvironment, logGroupOf, newLogStreamName } from './environment-variables.js';
import { type Environment, startEnvironment } from './execution-environment.js';
import { publishInvocationMetrics, startedExecution } from './function-metrics.js';
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
/** Environments a function runs at once at most, unless its configuration says otherwise. */
export const DEFAULT_MAX_CONCURRENCY = 10;

/** An environment of the pool, and the lines of the invocation it runs now. */
interface Slot {
  environment: Environment;
  lines: string[] | undefined;
}

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
  const serviceMetrics = config.serviceMetrics ?? NO_SERVICE_METRICS;
  // Built once here so a reserved variable fails the creation, not the first invocation.
  const baseEnv = functionEnvironment(config);
  const { file, exportPath } = resolveHandler(config.codeDir, config.handler);
  const sourceMaps = /(^|\s)--enable-source-maps(\s|$)/.test(baseEnv.NODE_OPTIONS ?? '');

  const maxConcurrency = Math.max(1, config.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY);
  const logLines: string[] = [];
  const log = (line: string, logStreamName: string, invocationLines?: string[]) => {
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

  /** Started environments, idle or busy. */
  const slots = new Set<Slot>();
  const idle: Slot[] = [];
  /** Environments starting or started: what counts against maxConcurrency. */
  let environments = 0;
  /** Invocations running their handler now (ConcurrentExecutions). */
  let running = 0;
  const waiting: Array<() => void> = [];
  let stopped = false;

  /** Gives a slot back (or, when its environment ended, its place) and wakes one waiting invocation. */
  const release = (slot: Slot | undefined) => {
    if (slot !== undefined && !slot.environment.ended() && !stopped) idle.push(slot);
    else if (slot !== undefined) {
      slots.delete(slot);
      environments--;
    }
    waiting.shift()?.();
  };

  const newEnvironment = (slotLines: { lines: string[] | undefined }) => {
    const logStreamName = newLogStreamName();
    return startEnvironment({
      env: { ...baseEnv, AWS_LAMBDA_LOG_STREAM_NAME: logStreamName },
      logStreamName,
      memorySize,
      onLine: (line) => log(line, logStreamName, slotLines.lines),
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
    const refused = { requestId, coldStart: false, timedOut: false };
    let text: string;
    try {
      text = JSON.stringify(event ?? null);
    } catch (error) {
      return failed(refused, 0, {
        errorType: 'InvalidRequestContentException',
        errorMessage: `Could not serialize the event: ${(error as Error).message}`,
      });
    }
    if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
      return failed(refused, 0, {
        errorType: 'RequestTooLargeException',
        errorMessage: `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
      });
    }
    stats.invocations++;
    // An idle environment, or a place for a new one, or wait for one to be released.
    let slot: Slot | undefined;
    for (;;) {
      while (idle.length > 0 && slot === undefined) {
        const candidate = idle.pop() as Slot;
        if (candidate.environment.ended()) release(candidate);
        else slot = candidate;
      }
      if (slot !== undefined || environments < maxConcurrency) break;
      await new Promise<void>((wake) => waiting.push(wake));
    }
    if (stopped) {
      return failed(refused, 0, {
        errorType: 'ResourceNotFoundException',
        errorMessage: `Function ${config.functionName} was stopped`,
      });
    }
    const lines: string[] = [];
    const base = { requestId, coldStart: false, timedOut: false, logLines: lines };
    let initDurationMs: number | undefined;
    if (slot === undefined) {
      environments++;
      stats.coldStarts++;
      const holder: { lines: string[] | undefined } = { lines };
      const started = await newEnvironment(holder);
      initDurationMs = round(started.initDurationMs);
      stats.initDurationsMs.push(initDurationMs);
      if ('initError' in started) {
        stats.errors++;
        environments--;
        release(undefined);
        const stream = started.logStreamName;
        log(
          `INIT_REPORT Init Duration: ${initDurationMs} ms Phase: init Status: error Error Type: ${started.initError.errorType}`,
          stream,
          lines,
        );
        log(JSON.stringify(started.initError), stream, lines);
        return failed({ ...base, coldStart: true, initDurationMs }, 0, started.initError);
      }
      // The slot's lines are the holder's: the environment writes to whichever invocation holds it.
      slot = Object.assign(holder, { environment: started }) as Slot;
      slots.add(slot);
      if (stopped) await started.terminate();
    }
    slot.lines = lines;
    running++;
    const ended = startedExecution(serviceMetrics, config.functionName, running);
    try {
      return await runInvocation(requestId, text, slot, initDurationMs, base);
    } finally {
      running--;
      ended();
      slot.lines = undefined;
      release(slot);
    }
  };

  const runInvocation = async (
    requestId: string,
    text: string,
    slot: Slot,
    initDurationMs: number | undefined,
    base: { requestId: string; coldStart: boolean; timedOut: boolean; logLines: string[] },
  ): Promise<InvokeOutcome> => {
    const environment = slot.environment;
    const stream = environment.logStreamName;
    const lines = base.logLines;
    log(`START RequestId: ${requestId} Version: $LATEST`, stream, lines);
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
      log(`END RequestId: ${requestId}`, stream, lines);
      log(
        `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.ceil(durationMs)} ms\t` +
          `Memory Size: ${memorySize} MB${initDurationMs === undefined ? '' : `\tInit Duration: ${initDurationMs.toFixed(2)} ms`}${status}`,
        stream,
        lines,
      );
    };
    if (settled === 'timeout') {
      stats.timeouts++;
      stats.errors++;
      await environment.terminate();
      const seconds = (timeoutMs / 1000).toFixed(2);
      report('\tStatus: timeout');
      log(`${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`, stream, lines);
      return failed({ ...info, timedOut: true }, durationMs, {
        errorType: 'Sandbox.Timedout',
        errorMessage: `${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`,
      });
    }
    if (!settled.ok) {
      stats.errors++;
      report(settled.ended ? '\tStatus: error' : '');
      log(JSON.stringify({ ...settled.error, requestId }), stream, lines);
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
      return invokeNow(event).then((outcome) => {
        publishInvocationMetrics(serviceMetrics, config.functionName, outcome);
        return outcome;
      });
    },
    stats: () => ({ ...stats, initDurationsMs: [...stats.initDurationsMs] }),
    logs: () => [...logLines],
    async stop() {
      stopped = true;
      idle.length = 0;
      const running = [...slots].map((slot) => slot.environment);
      slots.clear();
      for (const wake of waiting.splice(0)) wake();
      await Promise.all(running.map((environment) => environment.terminate()));
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
