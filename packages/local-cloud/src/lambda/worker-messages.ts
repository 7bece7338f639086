/** The messages between a function's host (execution-environment.ts) and its Worker (worker.ts). */

import type { LambdaError } from './types.js';

/** What the Worker gets as `workerData`. */
export interface WorkerData {
  moduleUrl: string;
  exportPath: string[];
  handler: string;
  sourceMaps: boolean;
  functionName: string;
  functionArn: string;
  memorySize: number;
  logGroupName: string;
}

/** Host to Worker: run one invocation. */
export interface InvokeMessage {
  type: 'invoke';
  id: number;
  requestId: string;
  /** The event, as JSON text. */
  event: string;
  /** Epoch milliseconds. */
  deadline: number;
}

/** Worker to host. */
export type WorkerMessage =
  | { type: 'log'; text: string }
  | { type: 'ready'; initDurationMs: number }
  | { type: 'initError'; error: LambdaError }
  | { type: 'fatal'; error: LambdaError }
  | { type: 'done'; id: number; ok: true; payload: string }
  | { type: 'done'; id: number; ok: false; error: LambdaError };
