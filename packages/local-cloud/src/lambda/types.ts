/** The public types of a local Lambda function (see ../lambda-runtime.ts for what is Lambda-like). */

import type { ServiceMetrics } from '../cloudwatch/service-metrics.js';

/** Where a function's log lines go: one call per line, with the execution environment's log stream. */
export type FunctionLogSink = (event: {
  /** The log group (`/aws/lambda/<name>` unless the configuration names another). */
  logGroupName: string;
  /** The execution environment's stream, `YYYY/MM/DD/[$LATEST]<32 hex>`. */
  logStreamName: string;
  /** Epoch milliseconds. */
  timestamp: number;
  message: string;
}) => void;

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
  /**
   * Environments running at once at most (Lambda's reserved concurrency); more invocations wait their turn.
   * @default 10
   */
  maxConcurrency?: number;
  /** @default `/aws/lambda/<name>` */
  logGroupName?: string;
  /** Each log line, as CloudWatch Logs would get it. */
  onLog?: (line: string) => void;
  /** Each log line with its group, stream and time: e.g. the local CloudWatch Logs (src/logs). */
  logSink?: FunctionLogSink;
  /** Where its AWS/Lambda metrics go: its cloud's (`services.cloudwatch.serviceMetrics`). @default nowhere */
  serviceMetrics?: ServiceMetrics;
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
  /** The invocation's log lines (START to REPORT), what `LogType: Tail` returns the last 4 KB of. */
  logLines?: string[];
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
