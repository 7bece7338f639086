/** One execution environment: a Worker (worker.ts) with the function's module loaded, one invocation at a time. */

import { Worker } from 'node:worker_threads';
import { lineSplitter } from './line-splitter.js';
import type { LambdaError } from './types.js';
import type { InvokeMessage, WorkerData, WorkerMessage } from './worker-messages.js';
import { workerScript } from './worker-script.js';

/** How long Lambda lets an on-demand environment initialize. */
const INIT_TIMEOUT_MS = 10_000;

export type Settled = { ok: true; payload: string } | { ok: false; error: LambdaError; ended: boolean };

export interface Environment {
  readonly initDurationMs: number;
  /** The environment's CloudWatch Logs stream (also its AWS_LAMBDA_LOG_STREAM_NAME). */
  readonly logStreamName: string;
  run(requestId: string, event: string, deadline: number): Promise<Settled>;
  /** True once the Worker has exited (or was terminated): the next invocation needs a new one. */
  ended(): boolean;
  terminate(): Promise<void>;
}

export type EnvironmentStart =
  | Environment
  | { initError: LambdaError; initDurationMs: number; logStreamName: string };

export interface EnvironmentOptions {
  env: Record<string, string>;
  logStreamName: string;
  memorySize: number;
  workerData: WorkerData;
  /** Each line the function writes to stdout or stderr. */
  onLine(line: string): void;
}

/** Starts a Worker and resolves once its handler is found (or its init failed, or timed out). */
export async function startEnvironment(options: EnvironmentOptions): Promise<EnvironmentStart> {
  const { memorySize, logStreamName } = options;
  const startedAt = performance.now();
  const worker = new Worker(await workerScript(), {
    env: options.env,
    stdout: true,
    stderr: true,
    resourceLimits: { maxOldGenerationSizeMb: Math.max(64, memorySize) },
    workerData: options.workerData,
  });
  const output = lineSplitter(options.onLine);
  worker.stdout.setEncoding('utf8').on('data', output.write);
  worker.stderr.setEncoding('utf8').on('data', output.write);

  let exited = false;
  let inFlight: { id: number; settle: (settled: Settled) => void } | undefined;
  let nextId = 1;
  let onInit:
    | ((
        message:
          | { type: 'ready'; initDurationMs: number }
          | { type: 'initError' | 'exit'; error: LambdaError },
      ) => void)
    | undefined;
  const endWith = (error: LambdaError) => {
    exited = true;
    onInit?.({ type: 'exit', error });
    inFlight?.settle({ ok: false, error, ended: true });
    inFlight = undefined;
  };
  worker.on('message', (message: WorkerMessage) => {
    if (message.type === 'log') output.write(message.text);
    else if (message.type === 'ready' || message.type === 'initError') onInit?.(message);
    else if (message.type === 'fatal') endWith(message.error);
    else if (message.type === 'done' && inFlight?.id === message.id) {
      const settle = inFlight.settle;
      inFlight = undefined;
      settle(
        message.ok
          ? { ok: true, payload: message.payload }
          : { ok: false, error: message.error, ended: false },
      );
    }
  });
  worker.on('error', (error: Error & { code?: string }) => {
    endWith(
      error.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? {
            errorType: 'Runtime.OutOfMemory',
            errorMessage: `Runtime exited: out of memory (${memorySize} MB)`,
          }
        : {
            errorType: 'Runtime.ExitError',
            errorMessage: `Runtime exited with error: ${error.name}: ${error.message}`,
          },
    );
  });
  worker.on('exit', (code) => {
    output.flush();
    if (!exited)
      endWith({
        errorType: 'Runtime.ExitError',
        errorMessage: `Runtime exited with error: exit status ${code}`,
      });
  });

  return new Promise((resolveStart) => {
    const timer = setTimeout(() => {
      onInit = undefined;
      void worker.terminate();
      resolveStart({
        initError: {
          errorType: 'Sandbox.Timedout',
          errorMessage: `Init timed out after ${INIT_TIMEOUT_MS / 1000} seconds`,
        },
        initDurationMs: INIT_TIMEOUT_MS,
        logStreamName,
      });
    }, INIT_TIMEOUT_MS);
    onInit = (message) => {
      clearTimeout(timer);
      onInit = undefined;
      const initDurationMs = performance.now() - startedAt;
      if (message.type !== 'ready') {
        void worker.terminate();
        resolveStart({ initError: message.error, initDurationMs, logStreamName });
        return;
      }
      resolveStart({
        initDurationMs,
        logStreamName,
        ended: () => exited,
        terminate: async () => {
          // An invocation in flight ends now, not at its timeout.
          endWith({ errorType: 'Runtime.ExitError', errorMessage: 'The execution environment was stopped' });
          await worker.terminate();
        },
        run: (requestId, event, deadline) =>
          new Promise<Settled>((settle) => {
            if (exited) {
              settle({
                ok: false,
                ended: true,
                error: { errorType: 'Runtime.ExitError', errorMessage: 'Runtime exited' },
              });
              return;
            }
            const id = nextId++;
            inFlight = { id, settle };
            worker.postMessage({ type: 'invoke', id, requestId, event, deadline } satisfies InvokeMessage);
          }),
      });
    };
  });
}
