/**
 * The embedded local cloud: real emulators behind one LocalStack-style endpoint (src/gateway.ts), so a
 * client sets only AWS_ENDPOINT_URL (plus any credentials and a region).
 *
 *   kinesis              kinesis-mock (npm kinesis-local)       src/kinesis-mock.ts
 *   dynamodb             DynamoDB Local (Java 17)               src/dynamodb-local.ts
 *   s3, sqs, sns         fauxqs                                 src/fauxqs.ts
 *   sts                  the endpoint itself                    src/sts/
 *   cloudformation, ssm  our own, in this process               src/cloudformation/, src/ssm/
 *   events               our own (rules deployed or put)        src/events/
 *   lambda, logs,        our own, in this process               src/services/start-services.ts
 *   monitoring, firehose,                                       (src/lambda-api/, src/logs/, src/cloudwatch/,
 *   glue                                                         src/firehose/, src/glue/)
 *   sagemaker (runtime)  our own, for deployed endpoints         src/deploy-hooks.ts
 *
 * CloudFormation deploys stacks onto the cloud (the CDK CLI's `cdk bootstrap/deploy/destroy`, or
 * `cloud.cloudFormation.service.deploy` in process); their functions and event-source mappings run in this
 * process until the cloud stops, and the Lambda API serves them.
 *
 * `startLocalCloud` runs it in this process (tests, the demo); the CLI's `local up` runs it in a background
 * process of its own. With a state directory, the cloud records there where it listens and the pid and start
 * time of each process, so `localCloudStatus` and `stopLocalCloud` (the CLI's `status` and `down`) find it
 * from any other process, and a pid reused by an unrelated process is never signalled.
 */

import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type CloudFormationPlugin,
  type ServeCloudFormationOptions,
  serveCloudFormation,
} from './cloudformation/serve.js';
import { attachServiceMetrics } from './cloudwatch/service-metrics.js';
import type { DynamoDbCall } from './dynamodb/call-metrics.js';
import { putCallMetrics } from './dynamodb/publish-metrics.js';
import { startDynamoDbLocal } from './dynamodb-local.js';
import { startEventsServer } from './events/api.js';
import { cloudTargets } from './events/cloud-targets.js';
import { API_OWNER } from './events/rule-api.js';
import { EventRules } from './events/rules.js';
import { fauxqsAnswers, startFauxqsEmulator } from './fauxqs.js';
import { type ServiceState, startGateway } from './gateway.js';
import { kinesisMockAnswers, startKinesisMock } from './kinesis-mock.js';
import { clearStaleState } from './local-cloud-control.js';
import { type EmulatorInfo, removeState, writeState } from './local-cloud-state.js';
import { listProcesses, processStartId } from './process-table.js';
import { type LocalServices, startLocalServices } from './services/start-services.js';

export {
  type LocalCloudStatus,
  localCloudStatus,
  type StopResult,
  stopLocalCloud,
} from './local-cloud-control.js';
export { DEFAULT_STATE_DIR, type EmulatorInfo, prepareStateDir } from './local-cloud-state.js';

export const DEFAULT_PORT = 4566;

/** The services of the health endpoint, in its order. */
export const LOCAL_CLOUD_SERVICES = ['kinesis', 'dynamodb', 's3', 'sqs', 'sns'] as const;

export interface LocalCloudOptions {
  /** The endpoint's port on 127.0.0.1. 0 picks a free one. @default 4566 */
  port?: number;
  /** Where to record the running cloud for `localCloudStatus` / `stopLocalCloud`; nothing is written without. */
  stateDir?: string;
  /** Per emulator. @default 60_000 */
  readyTimeoutMs?: number;
  /** Each line an emulator prints, and the cloud's own notices (source `local-cloud`). */
  onOutput?: (source: string, line: string) => void;
  /**
   * Who owns the cloud, recorded in the state: `cli` (a process of its own, which `stopLocalCloud` may
   * SIGTERM) or `embedded` (inside a program that must stop it itself). @default 'embedded'
   */
  owner?: 'cli' | 'embedded';
  /** Settings of the CloudFormation service (log lines of deployed functions, calls). */
  cloudFormation?: ServeCloudFormationOptions;
}

export interface LocalCloud {
  /** `http://127.0.0.1:<port>`: the AWS_ENDPOINT_URL of every client. */
  endpoint: string;
  port: number;
  /** From the call to every emulator answering. */
  startupMs: number;
  emulators: readonly EmulatorInfo[];
  /** The pipeline's APIs served here: Lambda, CloudWatch Logs and metrics, Firehose (src/services). */
  services: LocalServices;
  /** Probes every emulator, as `/_localstack/health` does. */
  health(): Promise<Record<string, ServiceState>>;
  /**
   * Sends a service's requests to an origin of this process (a plug-in emulator: Firehose, SageMaker runtime,
   * an HTTP API). With `plugin`, `stop()` stops it first, while the endpoint and the emulators still answer
   * (Firehose delivers what it buffers to S3 through the endpoint).
   */
  route(service: string, origin: string, plugin?: LocalCloudPlugin): void;
  /** This cloud's EventBridge rules and buses (deployed ones and those made through the API). */
  readonly eventRules: EventRules;
  /** CloudFormation (its stacks: `service.deployments()`), the SSM Parameter Store and the deploy hooks. */
  readonly cloudFormation: CloudFormationPlugin;
  /** Serves an HTTP API (a LocalHttpApi's origin) at `apiEndpoint(apiId)` and its execute-api host names. */
  routeApi(apiId: string, origin: string): void;
  unrouteApi(apiId: string): void;
  /** The HTTP API's URL on the endpoint (`http://127.0.0.1:<port>/_aws/execute-api/<apiId>`): its ApiEndpoint. */
  apiEndpoint(apiId: string): string;
  /** The certificate authority (PEM) of the endpoint's TLS certificate (also `ca.pem` in the state directory). */
  caCertificate: string;
  /**
   * Stops the plug-ins registered with `route` (in reverse order), then the endpoint and every emulator;
   * resolves once they have exited. Idempotent.
   */
  stop(): Promise<void>;
}

/** Something `route` serves that must stop before the cloud does. */
export interface LocalCloudPlugin {
  stop(): Promise<void>;
}

/** The environment a client of the cloud needs: the endpoint, dummy credentials and a region. */
export function localCloudClientEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
  };
}

/** DynamoDB Local rejects unsigned calls but checks no signature: any credential scope will do. */
async function dynamoDbAnswers(endpoint: string, signal: AbortSignal): Promise<boolean> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.ListTables',
      authorization:
        'AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: '{"Limit":1}',
    signal,
  });
  await response.body?.cancel();
  return response.ok;
}

async function probe(
  answers: (endpoint: string, signal: AbortSignal) => Promise<boolean>,
  endpoint: string,
): Promise<ServiceState> {
  try {
    return (await answers(endpoint, AbortSignal.timeout(2_000))) ? 'running' : 'error';
  } catch {
    return 'error';
  }
}

async function timed<T>(started: number, start: Promise<T>): Promise<{ value: T; readyMs: number }> {
  const value = await start;
  return { value, readyMs: Math.round(performance.now() - started) };
}

/**
 * Starts the local cloud: the endpoint first (so a port taken fails at once and the port is held), then the
 * three emulators side by side. On any failure everything started is stopped again and the error names what
 * failed: Java missing, a port taken, or an emulator's exit with its last output lines.
 */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const started = performance.now();
  const stateDir = options.stateDir === undefined ? undefined : resolve(options.stateDir);
  if (stateDir !== undefined) await clearStaleState(stateDir);
  const log = options.onOutput;
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;

  let state: 'starting' | 'running' | 'stopped' = 'starting';
  let healthOf: () => Promise<Record<string, ServiceState>> = async () =>
    Object.fromEntries(LOCAL_CLOUD_SERVICES.map((s) => [s, state === 'stopped' ? 'stopped' : 'starting']));
  // Set once the cloud's CloudWatch runs: DynamoDB's metrics of each call go there (src/dynamodb/).
  let onDynamoDbCall: ((call: DynamoDbCall) => void) | undefined;
  const gateway = await startGateway({
    port: options.port ?? DEFAULT_PORT,
    services: [...LOCAL_CLOUD_SERVICES, 'sts'],
    health: () => healthOf(),
    onDynamoDbCall: (call) => onDynamoDbCall?.(call),
  });

  const [kinesis, dynamo, fauxqs] = await Promise.allSettled([
    timed(
      started,
      startKinesisMock({
        readyTimeoutMs,
        ...(log === undefined ? {} : { onOutput: (line: string) => log('kinesis-mock', line) }),
      }),
    ),
    timed(started, startDynamoDbLocal({ readyTimeoutMs })),
    timed(
      started,
      startFauxqsEmulator({
        readyTimeoutMs,
        ...(log === undefined ? {} : { onOutput: (line: string) => log('fauxqs', line) }),
      }),
    ),
  ]);
  if (kinesis.status === 'rejected' || dynamo.status === 'rejected' || fauxqs.status === 'rejected') {
    const stops: Promise<void>[] = [gateway.close()];
    const problems: string[] = [];
    for (const result of [kinesis, dynamo, fauxqs]) {
      if (result.status === 'fulfilled') stops.push(result.value.value.stop());
      else problems.push(result.reason instanceof Error ? result.reason.message : String(result.reason));
    }
    await Promise.all(stops);
    throw new Error(`The local cloud could not start. ${problems.join('\n\n')}`);
  }

  const dynamoPid =
    listProcesses().find(
      (p) =>
        p.args.includes('DynamoDBLocal.jar') &&
        new RegExp(`-port ${dynamo.value.value.port}(\\s|$)`).test(p.args),
    )?.pid ?? 0;
  const emulators: EmulatorInfo[] = [
    {
      name: 'kinesis-mock',
      services: ['kinesis'],
      pid: kinesis.value.value.pid,
      endpoint: kinesis.value.value.endpoint,
      readyMs: kinesis.value.readyMs,
    },
    {
      name: 'DynamoDB Local',
      services: ['dynamodb'],
      pid: dynamoPid,
      endpoint: dynamo.value.value.endpoint,
      readyMs: dynamo.value.readyMs,
    },
    {
      name: 'fauxqs',
      services: ['s3', 'sqs', 'sns'],
      pid: fauxqs.value.value.pid,
      endpoint: fauxqs.value.value.endpoint,
      readyMs: fauxqs.value.readyMs,
    },
  ];
  for (const emulator of emulators) {
    for (const service of emulator.services) gateway.route(service, emulator.endpoint);
  }
  const pluggedServices = new Set<string>();
  healthOf = async () => {
    if (state !== 'running') {
      return Object.fromEntries(
        LOCAL_CLOUD_SERVICES.map((s) => [s, state === 'stopped' ? 'stopped' : 'starting']),
      );
    }
    const [k, d, f] = await Promise.all([
      probe(kinesisMockAnswers, kinesis.value.value.endpoint),
      probe(dynamoDbAnswers, dynamo.value.value.endpoint),
      probe(fauxqsAnswers, fauxqs.value.value.endpoint),
    ]);
    const plugged = Object.fromEntries([...pluggedServices].map((s) => [s, 'running' as const]));
    return { kinesis: k, dynamodb: d, s3: f, sqs: f, sns: f, ...services.health(), ...plugged };
  };
  const services = await startLocalServices(gateway, log === undefined ? {} : { onLog: log });
  // Its parts publish their AWS/* metrics to its own CloudWatch (services.cloudwatch.serviceMetrics); the
  // process's fallback alarms (a deployment given no cloud's alarms) read its store as well.
  const detachServiceMetrics = attachServiceMetrics(services.cloudwatch.store);
  onDynamoDbCall = (call) => putCallMetrics(services.cloudwatch.store, call);
  state = 'running';

  for (const child of [kinesis.value.value.process, fauxqs.value.value.process]) {
    void child.exited.then(() => {
      if (state === 'running')
        log?.('local-cloud', `${child.name} exited unexpectedly.${child.lastOutput()}`);
    });
  }

  const startupMs = Math.round(performance.now() - started);
  if (stateDir !== undefined) {
    writeState(stateDir, {
      version: 1,
      endpoint: gateway.endpoint,
      port: gateway.port,
      owner: { pid: process.pid, startId: processStartId(process.pid), kind: options.owner ?? 'embedded' },
      startedAt: new Date().toISOString(),
      startupMs,
      emulators: emulators.map((e) => ({ ...e, startId: processStartId(e.pid) })),
    });
    writeFileSync(join(stateDir, 'ca.pem'), gateway.caCertificate);
  }

  let stopping: Promise<void> | undefined;
  const plugins: LocalCloudPlugin[] = [];
  const eventRules = new EventRules();
  const cloud: Omit<LocalCloud, 'cloudFormation'> & { cloudFormation?: CloudFormationPlugin } = {
    endpoint: gateway.endpoint,
    eventRules,
    port: gateway.port,
    startupMs,
    emulators,
    services,
    health: () => healthOf(),
    route(service: string, origin: string, plugin?: LocalCloudPlugin) {
      gateway.route(service, origin);
      pluggedServices.add(service);
      if (plugin !== undefined && !plugins.includes(plugin)) plugins.push(plugin);
    },
    routeApi: (apiId: string, origin: string) => gateway.routeApi(apiId, origin),
    unrouteApi: (apiId: string) => gateway.unrouteApi(apiId),
    apiEndpoint: (apiId: string) => gateway.apiEndpoint(apiId),
    caCertificate: gateway.caCertificate,
    stop() {
      stopping ??= (async () => {
        const failures: unknown[] = [];
        for (const plugin of plugins.reverse()) {
          await plugin.stop().catch((error: unknown) => failures.push(error));
        }
        await services.stop().catch((error: unknown) => failures.push(error));
        eventRules.removeOwnedBy(API_OWNER);
        detachServiceMetrics();
        state = 'stopped';
        await gateway.close();
        await Promise.all([kinesis.value.value.stop(), dynamo.value.value.stop(), fauxqs.value.value.stop()]);
        if (stateDir !== undefined) removeState(stateDir, process.pid);
        if (failures.length > 0) {
          const text = failures.map((f) => (f instanceof Error ? f.message : String(f))).join('\n');
          throw new Error(`The local cloud stopped, but a plug-in failed to stop: ${text}`);
        }
      })();
      return stopping;
    },
  };
  try {
    // EventBridge (src/events/): the rules the stacks deploy and those made through the API, this cloud's own.
    const events = await startEventsServer(eventRules, {
      onInternalError: (message) => log?.('events', message),
      targets: cloudTargets(gateway.endpoint),
      onRuleLog: (message) => log?.('events', message),
    });
    cloud.route('events', events.origin, events);
    cloud.cloudFormation = await serveCloudFormation(cloud as LocalCloud, options.cloudFormation);
  } catch (error) {
    await cloud.stop().catch(() => undefined);
    throw error;
  }
  return cloud as LocalCloud;
}
