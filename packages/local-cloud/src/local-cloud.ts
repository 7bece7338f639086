/**
 * The embedded local cloud: real emulators behind one LocalStack-style endpoint (src/gateway.ts), so a
 * client sets only AWS_ENDPOINT_URL (plus any credentials and a region).
 *
 *   kinesis              kinesis-mock (npm kinesis-local)       src/kinesis-mock.ts
 *   dynamodb             DynamoDB Local (Java 17)               src/dynamodb-local.ts
 *   s3, sqs, sns         fauxqs                                 src/fauxqs.ts
 *   sts                  the endpoint itself                    src/sts/
 *   cloudformation, ssm  our own, in this process               src/cloudformation/, src/ssm/
 *   events               our own (rules the stacks deploy)      src/events/
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

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type CloudFormationPlugin,
  type ServeCloudFormationOptions,
  serveCloudFormation,
} from './cloudformation/serve.js';
import { attachServiceMetrics } from './cloudwatch/service-metrics.js';
import { startDynamoDbLocal } from './dynamodb-local.js';
import { isSameProcess, listProcesses, processStartId, sleep } from './emulator-process.js';
import { startEventsServer } from './events/api.js';
import { localEventRules } from './events/rules.js';
import { fauxqsAnswers, startFauxqsEmulator } from './fauxqs.js';
import { type ServiceState, startGateway } from './gateway.js';
import { kinesisMockAnswers, startKinesisMock } from './kinesis-mock.js';
import { type LocalServices, startLocalServices } from './services/start-services.js';

export const DEFAULT_PORT = 4566;
export const DEFAULT_STATE_DIR = '.streamfeatures/local';

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

export interface EmulatorInfo {
  /** `kinesis-mock`, `DynamoDB Local`, `fauxqs` */
  name: string;
  services: string[];
  pid: number;
  /** Its own endpoint, behind the gateway. */
  endpoint: string;
  /** From the start of the cloud to this emulator answering. */
  readyMs: number;
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

interface StateFile {
  version: 1;
  endpoint: string;
  port: number;
  owner: { pid: number; startId: string | undefined; kind: 'cli' | 'embedded' };
  startedAt: string;
  startupMs: number;
  emulators: Array<EmulatorInfo & { startId: string | undefined }>;
}

const STATE_FILE = 'state.json';

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
  const gateway = await startGateway({
    port: options.port ?? DEFAULT_PORT,
    services: [...LOCAL_CLOUD_SERVICES, 'sts'],
    health: () => healthOf(),
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
  // What the cloud's parts publish as AWS services (AWS/Lambda IteratorAge) lands in its CloudWatch.
  const detachServiceMetrics = attachServiceMetrics(services.cloudwatch.store);
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
  const cloud: Omit<LocalCloud, 'cloudFormation'> & { cloudFormation?: CloudFormationPlugin } = {
    endpoint: gateway.endpoint,
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
    // EventBridge: the rules the stacks deploy (src/events/), listed and switched on and off with the AWS CLI.
    const events = await startEventsServer(localEventRules, {
      onInternalError: (message) => log?.('events', message),
    });
    cloud.route('events', events.origin, events);
    cloud.cloudFormation = await serveCloudFormation(cloud as LocalCloud, options.cloudFormation);
  } catch (error) {
    await cloud.stop().catch(() => undefined);
    throw error;
  }
  return cloud as LocalCloud;
}

function readState(stateDir: string): StateFile | undefined {
  let text: string;
  try {
    text = readFileSync(join(stateDir, STATE_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const state = JSON.parse(text) as StateFile;
    return state.version === 1 ? state : undefined;
  } catch {
    return undefined;
  }
}

/** Creates the state directory, with a .gitignore that keeps it (state, log) out of version control. */
export function prepareStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(stateDir, '.gitignore'), '*\n');
}

function writeState(stateDir: string, state: StateFile): void {
  prepareStateDir(stateDir);
  const temporary = join(stateDir, `${STATE_FILE}.${process.pid}.tmp`);
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temporary, join(stateDir, STATE_FILE));
}

/** Removes the state file if it still describes the cloud of `ownerPid`. */
function removeState(stateDir: string, ownerPid: number): void {
  if (readState(stateDir)?.owner.pid === ownerPid) rmSync(join(stateDir, STATE_FILE), { force: true });
}

/** A state whose owner is gone: ends what it left behind (the watchdogs normally have) and forgets it. */
async function clearStaleState(stateDir: string): Promise<void> {
  const state = readState(stateDir);
  if (state === undefined) return;
  if (isSameProcess(state.owner.pid, state.owner.startId)) {
    throw new Error(
      `A local cloud is already running at ${state.endpoint} (pid ${state.owner.pid}, state in ${stateDir}). Stop it first (streamfeatures local down).`,
    );
  }
  await stopLocalCloud(stateDir);
}

export interface LocalCloudStatus {
  /** True when the cloud's process runs and every service answers its probe. */
  up: boolean;
  /** True when the process that owns the recorded cloud runs (it may still be unhealthy). */
  running: boolean;
  stateDir: string;
  /** Why it is not up. */
  problem?: string;
  endpoint?: string;
  ownerPid?: number;
  /** Of the cloud's own process (the endpoint), when it runs. */
  ownerRssBytes?: number;
  startedAt?: string;
  startupMs?: number;
  /** From `/_localstack/health`; empty when the endpoint does not answer. */
  services: Record<string, string>;
  emulators: Array<{ name: string; services: string[]; pid: number; running: boolean; rssBytes?: number }>;
}

/** What the state in `stateDir` says runs, checked against the processes and the health endpoint. */
export async function localCloudStatus(stateDir: string = DEFAULT_STATE_DIR): Promise<LocalCloudStatus> {
  const dir = resolve(stateDir);
  const state = readState(dir);
  if (state === undefined) {
    return {
      up: false,
      running: false,
      stateDir: dir,
      problem: `no local cloud recorded in ${dir}`,
      services: {},
      emulators: [],
    };
  }
  const rss = new Map(listProcesses().map((p) => [p.pid, p.rssBytes]));
  const emulators = state.emulators.map((e) => {
    const alive = isSameProcess(e.pid, e.startId);
    const rssBytes = alive ? rss.get(e.pid) : undefined;
    return {
      name: e.name,
      services: e.services,
      pid: e.pid,
      running: alive,
      ...(rssBytes === undefined ? {} : { rssBytes }),
    };
  });
  const ownerRss = rss.get(state.owner.pid);
  const base = {
    stateDir: dir,
    endpoint: state.endpoint,
    ownerPid: state.owner.pid,
    ...(ownerRss === undefined ? {} : { ownerRssBytes: ownerRss }),
    startedAt: state.startedAt,
    startupMs: state.startupMs,
    emulators,
  };
  if (!isSameProcess(state.owner.pid, state.owner.startId)) {
    return {
      ...base,
      up: false,
      running: false,
      problem: `the local cloud's process (pid ${state.owner.pid}) is gone; \`streamfeatures local down\` clears what it left`,
      services: {},
    };
  }
  let services: Record<string, string>;
  try {
    const response = await fetch(`${state.endpoint}/_localstack/health`, {
      signal: AbortSignal.timeout(5_000),
    });
    services = ((await response.json()) as { services?: Record<string, string> }).services ?? {};
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ...base,
      up: false,
      running: true,
      problem: `${state.endpoint} does not answer (${reason})`,
      services: {},
    };
  }
  const down = Object.entries(services).filter(([, s]) => s !== 'running');
  return {
    ...base,
    up: down.length === 0 && Object.keys(services).length > 0,
    running: true,
    ...(down.length === 0
      ? {}
      : { problem: `not running: ${down.map(([name, s]) => `${name} (${s})`).join(', ')}` }),
    services,
  };
}

export interface StopResult {
  /** False when no cloud was recorded in the state directory. */
  wasRecorded: boolean;
  /** The cloud's process had died already (killed, or the machine slept through a reboot). */
  stale: boolean;
  endpoint?: string;
  /** Processes ended: the cloud's own and each emulator. */
  stopped: string[];
  /** Processes still running after everything was tried (empty on success). */
  remaining: string[];
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    if (process.platform === 'win32') process.kill(pid, signal);
    else process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

async function waitGone(
  pids: Array<{ pid: number; startId: string | undefined }>,
  ms: number,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (pids.some((p) => isSameProcess(p.pid, p.startId)) && Date.now() < deadline) await sleep(100);
}

/**
 * Stops the cloud recorded in `stateDir` from any process: SIGTERM to the cloud's own process (which stops
 * its emulators), SIGKILL to the process group of any emulator still running after that, and the state file
 * removed. Safe to run when nothing runs. Refuses a cloud embedded in a running program (that program must
 * stop it).
 */
export async function stopLocalCloud(stateDir: string = DEFAULT_STATE_DIR): Promise<StopResult> {
  const dir = resolve(stateDir);
  const state = readState(dir);
  if (state === undefined) return { wasRecorded: false, stale: false, stopped: [], remaining: [] };
  const stopped: string[] = [];
  const owner = state.owner;
  const aliveAtStart = state.emulators.filter((e) => e.pid > 0 && isSameProcess(e.pid, e.startId));
  const ownerAlive = isSameProcess(owner.pid, owner.startId);
  if (ownerAlive) {
    if (owner.kind !== 'cli') {
      throw new Error(
        `The local cloud at ${state.endpoint} runs inside process ${owner.pid}, which started it with startLocalCloud: stop it there.`,
      );
    }
    process.kill(owner.pid, 'SIGTERM');
    await waitGone([owner], 30_000);
    if (isSameProcess(owner.pid, owner.startId)) {
      // Its watchdogs SIGKILL the emulators when it dies.
      process.kill(owner.pid, 'SIGKILL');
      await waitGone([owner], 5_000);
    }
    stopped.push(`local cloud (pid ${owner.pid})`);
  }
  const left = state.emulators.filter((e) => e.pid > 0 && isSameProcess(e.pid, e.startId));
  for (const emulator of left) signalGroup(emulator.pid, 'SIGKILL');
  await waitGone(left, 5_000);
  for (const emulator of aliveAtStart) stopped.push(`${emulator.name} (pid ${emulator.pid})`);
  const remaining = [owner, ...state.emulators]
    .filter((p) => p.pid > 0 && isSameProcess(p.pid, p.startId))
    .map((p) => `pid ${p.pid}`);
  if (remaining.length === 0) removeState(dir, owner.pid);
  return { wasRecorded: true, stale: !ownerAlive, endpoint: state.endpoint, stopped, remaining };
}
