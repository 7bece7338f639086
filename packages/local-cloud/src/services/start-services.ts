/**
 * The local cloud's own AWS APIs for the running pipeline, started together on one in-process HTTP server
 * and routed on the cloud's endpoint: Lambda (signing name `lambda`), CloudWatch Logs (`logs`), CloudWatch
 * metrics (`monitoring`), plus the Firehose emulator (`firehose`, its own server), which delivers to the
 * cloud's S3, and the Glue Data Catalog (`glue`, src/glue/): the tables the deploys create, Iceberg tables'
 * metadata in the cloud's S3, which the Firehose's Iceberg destination commits to.
 *
 * Functions write their output here through `logSink` (give it as LambdaFunctionConfig.logSink): each line
 * is stored in its log group and stream, and EMF lines become metrics. The Lambda API serves the functions
 * and mappings of every registry added with `addRegistry` (e.g. `registryOfDeployments` of the stacks).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { S3Client } from '@aws-sdk/client-s3';
import { type CloudWatchService, createCloudWatchService } from '../cloudwatch/cloudwatch-service.js';
import { snsQuery } from '../esm/failure-destination.js';
import { getObject, putObject } from '../firehose/s3-upload.js';
import { FirehoseEmulator } from '../firehose-emulator.js';
import { createGlueApi, GLUE_TARGET_PREFIX } from '../glue/api.js';
import { GlueCatalog } from '../glue/catalog.js';
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
  /** The Glue Data Catalog the deploys create databases and tables in. */
  readonly glue: GlueCatalog;
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
export const SERVED_SIGNING_NAMES = ['lambda', 'logs', 'monitoring', 'glue'] as const;

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
  // Iceberg metadata goes to the cloud's S3 through its endpoint, as Glue writes it to the table's bucket.
  const s3 = new S3Client({
    endpoint: host.endpoint,
    region,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const glue = new GlueCatalog(
    {
      put: (bucket, key, body) => putObject(s3, bucket, key, body),
      get: (bucket, key) => getObject(s3, bucket, key),
    },
    accountId,
  );
  const glueApi = createGlueApi(glue, log('glue'));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(
      String(req.headers.authorization ?? ''),
    )?.[1];
    if (target.startsWith('Logs_20140328.') || scope === 'logs') return logs.handle(req, res);
    if (target.startsWith(GLUE_TARGET_PREFIX) || scope === 'glue') return glueApi(req, res);
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
      serviceMetrics: cloudwatch.serviceMetrics,
      iceberg: {
        icebergTable: (db, table) => glue.iceberg(db, table),
        commitIceberg: (db, table, expected, next) => glue.commitIceberg(db, table, expected, next),
      },
    }).start();
  } catch (error) {
    await closeServer(server.server);
    s3.destroy();
    throw error;
  }
  for (const service of SERVED_SIGNING_NAMES) host.route(service, server.origin);
  host.route('firehose', firehose.origin);

  let stopped: Promise<void> | undefined;
  return {
    logs,
    cloudwatch,
    firehose,
    glue,
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
      return { lambda: state, logs: state, cloudwatch: state, firehose: state, glue: state };
    },
    stop() {
      stopped ??= (async () => {
        cloudwatch.stop();
        await firehose.stop().catch((error: unknown) => log('firehose')(`stop: ${String(error)}`));
        await closeServer(server.server);
        s3.destroy();
      })();
      return stopped;
    },
  };
}
