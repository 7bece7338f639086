/**
 * The local cloud's own AWS APIs for the running pipeline, started together on one in-process HTTP server
 * and routed on the cloud's endpoint: Lambda (signing name `lambda`), CloudWatch Logs (`logs`), CloudWatch
 * metrics (`monitoring`), plus the Firehose emulator (`firehose`, its own server), which delivers to the
 * cloud's S3.
 *
 * Functions write their output here through `logSink` (give it as LambdaFunctionConfig.logSink): each line
 * is stored in its log group and stream, and EMF lines become metrics. The Lambda API serves the functions
 * and mappings of every registry added with `addRegistry` (e.g. `registryOfDeployments` of the stacks).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CloudWatchService, createCloudWatchService } from '../cloudwatch/cloudwatch-service.js';
import { snsQuery } from '../esm/failure-destination.js';
import { FirehoseEmulator } from '../firehose-emulator.js';
import { closeServer, listenLocal } from '../http-server.js';
import { createLambdaApi } from '../lambda-api/lambda-api.js';
import { combinedRegistry, type LambdaRegistry } from '../lambda-api/registry.js';
import type { FunctionLogSink } from '../lambda-runtime.js';
import { createLogsService, type LogsService } from '../logs/logs-service.js';

export interface LocalServicesHost {
  /** The cloud's endpoint (Firehose delivers to its S3). */
  readonly endpoint: string;
  /** Sends a service's requests (by signing name) to an origin. */
  route(service: string, origin: string): void;
}

export interface LocalServicesOptions {
  /** @default 'us-east-1' */
  region?: string;
  /** @default '000000000000' */
  accountId?: string;
  /** Asynchronous invocation failures, internal errors, Firehose deliveries. */
  onLog?: (source: string, line: string) => void;
}

export interface LocalServices {
  readonly logs: LogsService;
  readonly cloudwatch: CloudWatchService;
  readonly firehose: FirehoseEmulator;
  /** The sink each function's configuration gets: its lines go to Logs, its EMF lines to metrics. */
  readonly logSink: FunctionLogSink;
  /** Serves a registry's functions and mappings on the Lambda API; the returned function removes it. */
  addRegistry(registry: LambdaRegistry): () => void;
  /** The services routed, with their state, for `/_localstack/health`. */
  health(): Record<string, 'running' | 'stopped'>;
  /** Stops Firehose (delivering what it holds) and the server. Idempotent. */
  stop(): Promise<void>;
}

/** The signing names this server answers, and the X-Amz-Target prefixes of its JSON protocols. */
export const SERVED_SIGNING_NAMES = ['lambda', 'logs', 'monitoring'] as const;

export async function startLocalServices(
  host: LocalServicesHost,
  options: LocalServicesOptions = {},
): Promise<LocalServices> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const log = (source: string) => (line: string) => options.onLog?.(source, line);
  const registries = new Set<LambdaRegistry>();
  const registry: LambdaRegistry = {
    functions: () => combinedRegistry(...registries).functions(),
    mappings: () => combinedRegistry(...registries).mappings(),
  };
  const logs = createLogsService({ region, accountId, onInternalError: log('logs') });
  const cloudwatch = createCloudWatchService({
    onInternalError: log('cloudwatch'),
    region,
    accountId,
    publish: async (topicArn, subject, message) => {
      await snsQuery(host.endpoint, region, {
        Action: 'Publish',
        TopicArn: topicArn,
        Subject: subject,
        Message: message,
      });
    },
    onAlarmLog: log('cloudwatch'),
  });
  const lambda = createLambdaApi({ registry, region, accountId, onLog: log('lambda') });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(
      String(req.headers.authorization ?? ''),
    )?.[1];
    if (target.startsWith('Logs_20140328.') || scope === 'logs') return logs.handle(req, res);
    if (
      scope === 'monitoring' ||
      target.startsWith('GraniteServiceVersion20100801.') ||
      (req.url ?? '').startsWith('/service/GraniteServiceVersion20100801/')
    )
      return cloudwatch.handle(req, res);
    return lambda(req, res);
  };
  const server = await listenLocal(handle);
  let firehose: FirehoseEmulator;
  try {
    firehose = await new FirehoseEmulator({
      s3Endpoint: host.endpoint,
      region,
      accountId,
      onLog: log('firehose'),
    }).start();
  } catch (error) {
    await closeServer(server.server);
    throw error;
  }
  for (const service of SERVED_SIGNING_NAMES) host.route(service, server.origin);
  host.route('firehose', firehose.origin);

  let stopped: Promise<void> | undefined;
  return {
    logs,
    cloudwatch,
    firehose,
    logSink: (event) => {
      logs.sink(event);
      cloudwatch.ingestLogLine(event.message, event.timestamp);
    },
    addRegistry(added) {
      registries.add(added);
      return () => registries.delete(added);
    },
    health: () => {
      const state = stopped === undefined ? 'running' : 'stopped';
      return { lambda: state, logs: state, cloudwatch: state, firehose: state };
    },
    stop() {
      stopped ??= (async () => {
        cloudwatch.stop();
        await firehose.stop().catch((error: unknown) => log('firehose')(`stop: ${String(error)}`));
        await closeServer(server.server);
      })();
      return stopped;
    },
  };
}
