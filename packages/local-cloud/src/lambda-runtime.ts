/**
 * Runs a Lambda function's real bundle for the local cloud: each execution environment is a `worker_threads`
 * Worker that imports the bundle (e.g. `cdk.out/asset.<hash>/index.mjs`) and calls its handler once per
 * invocation, as the Node.js managed runtime does.
 *
 * What is Lambda-like here:
 * - Each function has its own `process.env` (the Worker's `env` option: in Node 20 the worker starts with a
 *   copy of that object, and what it sets stays in its thread), built from the function's configuration: the
 *   template's Environment, then the variables Lambda reserves (AWS_REGION, AWS_LAMBDA_FUNCTION_NAME,
 *   AWS_LAMBDA_FUNCTION_MEMORY_SIZE, credentials...), then AWS_ENDPOINT_URL (the local cloud). Nothing of the
 *   host process's environment leaks in, so a developer's AWS_PROFILE or endpoint never reaches a function.
 * - Init (importing the module, its module-scope code) happens on an environment's first invocation: a cold
 *   start, measured from the Worker's creation to the handler being found (`initDurationMs`). Later invocations
 *   reuse the module state (clients, caches), as warm Lambda invocations do.
 * - One invocation at a time per environment. A call finding every environment busy starts another (a cold
 *   start), up to `maxConcurrency` (default 10; then it waits for one, where AWS would throttle): a Kinesis
 *   mapping, one batch in flight per shard, so gets one environment per shard, as on AWS.
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
 *   invocation, to `onLog`, to `logSink` (with the log group, the environment's own log stream
 *   `YYYY/MM/DD/[$LATEST]<hex>` and the time: src/logs stores them for CloudWatch Logs) and a ring buffer
 *   (`logs()`); each outcome carries its invocation's lines (`logLines`, for Invoke's `LogType: Tail`).
 *
 * Not Lambda: a Worker shares the host process (its CPU, its file system, its timezone and the native
 * environment `getenv` sees), `NODE_OPTIONS` is not applied except `--enable-source-maps`, and the
 * `@aws-sdk/*` packages a bundle leaves external resolve from the node_modules above the code folder rather
 * than from the runtime.
 *
 * The parts, one job each (src/lambda/): types.ts, environment-variables.ts (process.env), handler-module.ts
 * (finding the handler), worker.ts (the code each Worker runs) and worker-script.ts (finding it),
 * execution-environment.ts (one Worker), function.ts (invocations, stats, logs).
 */

export {
  functionEnvironment,
  newLogStreamName,
  RESERVED_ENVIRONMENT_VARIABLES,
} from './lambda/environment-variables.js';
export { createLambdaFunction, MAX_PAYLOAD_BYTES } from './lambda/function.js';
export { resolveHandler } from './lambda/handler-module.js';
export type {
  FunctionLogSink,
  InvokeInfo,
  InvokeOutcome,
  LambdaError,
  LambdaFunctionConfig,
  LambdaFunctionStats,
  LocalLambdaFunction,
} from './lambda/types.js';
