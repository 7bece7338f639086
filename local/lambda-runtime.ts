/**
 * Runs a Lambda function's real bundle for the local cloud: one execution environment per function, a
 * `worker_threads` Worker that imports the bundle (e.g. `cdk.out/asset.<hash>/index.mjs`) and calls its
 * handler once per invocation, as the Node.js managed runtime does.
 *
 * What is Lambda-like here:
 * - Each function has its own `process.env` (the Worker's `env` option: in Node 20 the worker starts with a
 *   copy of that object, and what it sets stays in its thread), built from the function's configuration: the
 *   template's Environment, then the variables Lambda reserves (AWS_REGION, AWS_LAMBDA_FUNCTION_NAME,
 *   AWS_LAMBDA_FUNCTION_MEMORY_SIZE, credentials...), then AWS_ENDPOINT_URL (the local cloud). Nothing of the
 *   host process's environment leaks in, so a developer's AWS_PROFILE or endpoint never reaches a function.
 * - Init (importing the module, its module-scope code) happens on the first invocation: a cold start, measured
 *   from the Worker's creation to the handler being found (`initDurationMs`). Later invocations reuse the
 *   module state (clients, caches), as warm Lambda invocations do.
 * - One invocation at a time per environment: concurrent calls wait their turn (as with reserved concurrency 1).
 * - The event and the result cross as JSON, with Lambda's 6 MB payload limits.
 * - Errors come back as `{ errorType, errorMessage, trace }` (the error's name and message, like the Node.js
 *   runtime interface client), init failures as `Runtime.ImportModuleError` / `Runtime.HandlerNotFound`.
 * - The timeout is the function's Timeout: on expiry the Worker is terminated (`Sandbox.Timedout`, "Task timed
 *   out after N.00 seconds") and the next invocation starts a new environment, a cold start again. An
 *   uncaught exception or unhandled rejection also ends the environment (`Runtime.ExitError` /
 *   `Runtime.UnhandledPromiseRejection`).
 * - MemorySize bounds the environment's JS heap (`resourceLimits.maxOldGenerationSizeMb`): running out ends
 *   it with `Runtime.OutOfMemory`.
 * - A context object: awsRequestId, functionName, functionVersion, invokedFunctionArn, memoryLimitInMB,
 *   logGroupName, logStreamName, getRemainingTimeInMillis(), callbackWaitsForEmptyEventLoop. Callback-style
 *   handlers (three parameters) work too.
 * - Logs: the function's stdout and stderr, line by line, with START / END / REPORT lines around each
 *   invocation, to `onLog` and a ring buffer (`logs()`).
 *
 * Not Lambda: a Worker shares the host process (its CPU, its file system, its timezone and the native
 * environment `getenv` sees), `NODE_OPTIONS` is not applied except `--enable-source-maps`, and the
 * `@aws-sdk/*` packages a bundle leaves external resolve from the node_modules above the code folder rather
 * than from the runtime.
 */

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Lambda's limit on a synchronous invocation's request and response payloads. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** How long Lambda lets an on-demand environment initialize. */
const INIT_TIMEOUT_MS = 10_000;
const LOG_LINES_KEPT = 2_000;

/** Variables Lambda sets itself and refuses in a function's configuration. */
export const RESERVED_ENVIRONMENT_VARIABLES: readonly string[] = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
];

export interface LambdaFunctionConfig {
  /** The function's name (FunctionName, or the name the deployment generated). */
  functionName: string;
  /** @default `arn:aws:lambda:<region>:<account>:function:<name>` */
  functionArn?: string;
  /** The folder holding the code: for a CDK app, the asset folder in cdk.out. */
  codeDir: string;
  /** `<module>.<export>`, e.g. `index.handler`. */
  handler: string;
  /** Only `nodejs*` runtimes run here. @default 'nodejs22.x' */
  runtime?: string;
  /** @default 128 */
  memorySize?: number;
  /** @default 3 */
  timeoutSeconds?: number;
  /** The function's own variables (the template's Environment.Variables, resolved). */
  environment?: Readonly<Record<string, string>>;
  /** @default 'us-east-1' */
  region?: string;
  /** @default '000000000000' */
  accountId?: string;
  /** The local cloud's endpoint: the function's AWS_ENDPOINT_URL. None: the SDK's default endpoints. */
  cloudEndpoint?: string;
  /** @default dummy credentials (`test` / `test`) */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** @default `/aws/lambda/<name>` */
  logGroupName?: string;
  /** Each log line, as CloudWatch Logs would get it. */
  onLog?: (line: string) => void;
}

/** An error as Lambda reports it. */
export interface LambdaError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

/** One invocation's outcome, as a synchronous Invoke would report it. */
export type InvokeOutcome =
  | (InvokeInfo & { ok: true; payload: unknown })
  | (InvokeInfo & { ok: false; error: LambdaError; functionError: 'Unhandled' });

export interface InvokeInfo {
  requestId: string;
  /** The invocation itself, init excluded. */
  durationMs: number;
  /** Set on a cold start: from the environment's creation to the handler found. */
  initDurationMs?: number;
  coldStart: boolean;
  timedOut: boolean;
}

export interface LambdaFunctionStats {
  invocations: number;
  errors: number;
  timeouts: number;
  coldStarts: number;
  /** Init duration of each cold start, in order. */
  initDurationsMs: number[];
  /** Sum of the invocations' durations. */
  totalDurationMs: number;
}

export interface LocalLambdaFunction {
  readonly functionName: string;
  readonly functionArn: string;
  readonly config: Readonly<LambdaFunctionConfig>;
  /** Invokes the handler with `event` (RequestResponse): resolves with the result or the function's error. */
  invoke(event: unknown): Promise<InvokeOutcome>;
  stats(): LambdaFunctionStats;
  /** The last log lines (at most 2000). */
  logs(): readonly string[];
  /** Ends the environment (waiting for nothing: an invocation in flight fails). Idempotent. */
  stop(): Promise<void>;
}

/** The environment variables a function's environment starts with (see the file comment for the order). */
export function functionEnvironment(config: LambdaFunctionConfig): Record<string, string> {
  const own = config.environment ?? {};
  const reserved = Object.keys(own).filter((key) => RESERVED_ENVIRONMENT_VARIABLES.includes(key));
  if (reserved.length > 0) {
    throw new Error(
      `Function ${config.functionName}: Lambda reserves the environment variable(s) ${reserved.join(', ')}; ` +
        'remove them from its configuration.',
    );
  }
  const region = config.region ?? 'us-east-1';
  const credentials = config.credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' };
  const runtime = config.runtime ?? 'nodejs22.x';
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    // Defaults a function's configuration may override.
    AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // No X-Ray daemon and no trace header here: the X-Ray SDK would log an error per traced call.
    POWERTOOLS_TRACE_ENABLED: 'false',
    AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    ...own,
    // What Lambda sets.
    _HANDLER: config.handler,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: config.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memorySize ?? 128),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: logGroupOf(config),
    AWS_LAMBDA_LOG_STREAM_NAME: logStreamName(),
    LAMBDA_TASK_ROOT: resolve(config.codeDir),
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
    // The local cloud, last: a function's own configuration cannot point it elsewhere.
    ...(config.cloudEndpoint ? { AWS_ENDPOINT_URL: config.cloudEndpoint } : {}),
  };
}

function logGroupOf(config: LambdaFunctionConfig): string {
  return config.logGroupName ?? `/aws/lambda/${config.functionName}`;
}

function logStreamName(): string {
  const d = new Date();
  const day = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
  return `${day}/[$LATEST]${randomUUID().replaceAll('-', '')}`;
}

/**
 * Finds the module file of a handler string as the Node.js runtime does: `<codeDir>/<module>` with `.js`,
 * `.mjs` or `.cjs`; returns it and the export path.
 */
export function resolveHandler(codeDir: string, handler: string): { file: string; exportPath: string[] } {
  const dot = handler.indexOf('.', handler.lastIndexOf('/') + 1);
  if (dot <= 0 || dot === handler.length - 1) {
    throw lambdaError('Runtime.MalformedHandlerName', `Bad handler ${handler}: expected <module>.<export>`);
  }
  const modulePath = handler.slice(0, dot);
  const exportPath = handler.slice(dot + 1).split('.');
  for (const extension of ['.js', '.mjs', '.cjs']) {
    const file = join(codeDir, `${modulePath}${extension}`);
    if (existsSync(file)) return { file, exportPath };
  }
  throw lambdaError(
    'Runtime.ImportModuleError',
    `Error: Cannot find module '${modulePath}' in ${codeDir} (looked for .js, .mjs and .cjs)`,
  );
}

class LambdaErrorValue extends Error {
  constructor(readonly lambda: LambdaError) {
    super(lambda.errorMessage);
    this.name = lambda.errorType;
  }
}

function lambdaError(errorType: string, errorMessage: string): LambdaErrorValue {
  return new LambdaErrorValue({ errorType, errorMessage });
}

/**
 * The code each Worker runs (CommonJS, evaluated): imports the module, finds the handler, then answers
 * invocation messages. `workerData`: moduleUrl, exportPath, sourceMaps, function identity.
 */
const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
if (workerData.sourceMaps && typeof process.setSourceMapsEnabled === 'function') process.setSourceMapsEnabled(true);

const errorOf = (error) => {
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
    };
  }
  let message;
  try { message = typeof error === 'string' ? error : JSON.stringify(error); } catch { message = String(error); }
  return { errorType: typeof error, errorMessage: String(message) };
};

// Output goes through the message port, the channel results take, so a log line is never behind its END.
for (const name of ['stdout', 'stderr']) {
  process[name].write = (chunk, encoding, callback) => {
    if (typeof encoding === 'function') { callback = encoding; encoding = undefined; }
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' && encoding !== 'buffer' ? encoding : 'utf8');
    parentPort.postMessage({ type: 'log', text });
    if (typeof callback === 'function') queueMicrotask(() => callback());
    return true;
  };
}

process.on('unhandledRejection', (reason) => {
  const error = errorOf(reason);
  parentPort.postMessage({
    type: 'fatal',
    error: { errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: error.errorType + ': ' + error.errorMessage, trace: error.trace },
  });
  process.exit(128);
});

const started = performance.now();
const loaded = (async () => {
  let mod;
  try {
    mod = await import(workerData.moduleUrl);
  } catch (error) {
    const e = errorOf(error);
    throw { errorType: 'Runtime.ImportModuleError', errorMessage: e.errorType + ': ' + e.errorMessage, trace: e.trace };
  }
  let fn = mod;
  for (const part of workerData.exportPath) fn = fn == null ? undefined : fn[part];
  if (typeof fn !== 'function' && mod.default != null) {
    fn = mod.default;
    for (const part of workerData.exportPath) fn = fn == null ? undefined : fn[part];
  }
  if (typeof fn !== 'function') {
    throw { errorType: 'Runtime.HandlerNotFound', errorMessage: workerData.handler + ' is undefined or not exported' };
  }
  return fn;
})();
loaded.then(
  () => parentPort.postMessage({ type: 'ready', initDurationMs: performance.now() - started }),
  (error) => parentPort.postMessage({ type: 'initError', error: error && error.errorType ? error : errorOf(error) }),
);

parentPort.on('message', async (message) => {
  if (message.type !== 'invoke') return;
  const fn = await loaded;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: workerData.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: workerData.functionArn,
    memoryLimitInMB: String(workerData.memorySize),
    awsRequestId: message.requestId,
    logGroupName: workerData.logGroupName,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
  };
  try {
    const event = JSON.parse(message.event);
    let result;
    if (fn.length >= 3) {
      result = await new Promise((resolve, reject) => {
        const returned = fn(event, context, (error, value) => (error ? reject(error) : resolve(value)));
        if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
      });
    } else {
      result = await fn(event, context);
    }
    const payload = result === undefined ? 'null' : JSON.stringify(result);
    parentPort.postMessage({ type: 'done', id: message.id, ok: true, payload: payload === undefined ? 'null' : payload });
  } catch (error) {
    parentPort.postMessage({ type: 'done', id: message.id, ok: false, error: errorOf(error) });
  }
});
`;

type WorkerMessage =
  | { type: 'log'; text: string }
  | { type: 'ready'; initDurationMs: number }
  | { type: 'initError'; error: LambdaError }
  | { type: 'fatal'; error: LambdaError }
  | { type: 'done'; id: number; ok: true; payload: string }
  | { type: 'done'; id: number; ok: false; error: LambdaError };

type Settled = { ok: true; payload: string } | { ok: false; error: LambdaError; ended: boolean };

/** One execution environment: a Worker with the function's module loaded. */
interface Environment {
  readonly initDurationMs: number;
  run(requestId: string, event: string, deadline: number): Promise<Settled>;
  /** True once the Worker has exited (or was terminated): the next invocation needs a new one. */
  ended(): boolean;
  terminate(): Promise<void>;
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
  const env = functionEnvironment(config);
  const { file, exportPath } = resolveHandler(config.codeDir, config.handler);
  const sourceMaps = /(^|\s)--enable-source-maps(\s|$)/.test(env.NODE_OPTIONS ?? '');

  const logLines: string[] = [];
  const log = (line: string) => {
    logLines.push(line);
    if (logLines.length > LOG_LINES_KEPT) logLines.splice(0, logLines.length - LOG_LINES_KEPT);
    config.onLog?.(line);
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

  const startEnvironment = (): Promise<Environment | { initError: LambdaError; initDurationMs: number }> => {
    const startedAt = performance.now();
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      env,
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(64, memorySize) },
      workerData: {
        moduleUrl: pathToFileURL(resolve(file)).href,
        exportPath,
        handler: config.handler,
        sourceMaps,
        functionName: config.functionName,
        functionArn,
        memorySize,
        logGroupName: logGroupOf(config),
      },
    });
    const output = lineSplitter(log);
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
        });
      }, INIT_TIMEOUT_MS);
      onInit = (message) => {
        clearTimeout(timer);
        onInit = undefined;
        const initDurationMs = performance.now() - startedAt;
        if (message.type !== 'ready') {
          void worker.terminate();
          resolveStart({ initError: message.error, initDurationMs });
          return;
        }
        resolveStart({
          initDurationMs,
          ended: () => exited,
          terminate: async () => {
            // An invocation in flight ends now, not at its timeout.
            endWith({
              errorType: 'Runtime.ExitError',
              errorMessage: 'The execution environment was stopped',
            });
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
              worker.postMessage({ type: 'invoke', id, requestId, event, deadline });
            }),
        });
      };
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
    let initDurationMs: number | undefined;
    if (current === undefined || current.ended()) {
      stats.coldStarts++;
      const started = await startEnvironment();
      initDurationMs = round(started.initDurationMs);
      stats.initDurationsMs.push(initDurationMs);
      if ('initError' in started) {
        stats.errors++;
        log(
          `INIT_REPORT Init Duration: ${initDurationMs} ms Phase: init Status: error Error Type: ${started.initError.errorType}`,
        );
        log(JSON.stringify(started.initError));
        return failed({ ...base, coldStart: true, initDurationMs }, 0, started.initError);
      }
      current = started;
    }
    const environment = current;
    log(`START RequestId: ${requestId} Version: $LATEST`);
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
      requestId,
      coldStart: initDurationMs !== undefined,
      ...(initDurationMs === undefined ? {} : { initDurationMs }),
    };
    const report = (status: string) => {
      log(`END RequestId: ${requestId}`);
      log(
        `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.ceil(durationMs)} ms\t` +
          `Memory Size: ${memorySize} MB${initDurationMs === undefined ? '' : `\tInit Duration: ${initDurationMs.toFixed(2)} ms`}${status}`,
      );
    };
    if (settled === 'timeout') {
      stats.timeouts++;
      stats.errors++;
      await environment.terminate();
      current = undefined;
      const seconds = (timeoutMs / 1000).toFixed(2);
      report('\tStatus: timeout');
      log(`${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`);
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
      log(JSON.stringify({ ...settled.error, requestId }));
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

/** Splits written text into lines for `onLine` (a partial line waits for its end, or `flush`). */
function lineSplitter(onLine: (line: string) => void): { write(text: string): void; flush(): void } {
  let pending = '';
  return {
    write(text) {
      pending += text;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        onLine(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
    },
    flush() {
      if (pending !== '') onLine(pending);
      pending = '';
    },
  };
}
