/**
 * Starts kinesis-mock (npm `kinesis-local`, the Kinesis engine LocalStack uses) for the local cloud.
 *
 * Facts about kinesis-local 0.6.2 that shape this code:
 * - It is Scala.js compiled to one Node script (main.js, 8.8 MB), not a JVM program: it runs on the Node
 *   running us. It reads its TLS certificate from server.json in the working directory, so it starts with
 *   its package folder as cwd.
 * - It always listens on two ports, plain HTTP and TLS (`KINESIS_MOCK_PLAIN_PORT`, `KINESIS_MOCK_TLS_PORT`),
 *   on all interfaces (the host is hard-coded to 0.0.0.0); we use the plain one.
 * - It is configured by environment variables with generic names (LOG_LEVEL, AWS_REGION, SHARD_LIMIT...), so it
 *   gets an environment of its own rather than ours.
 * - Stream operations take 500 ms each by default (CREATING to ACTIVE...); we set them to 0 ms, so a stream
 *   is ACTIVE on the first DescribeStream after CreateStream.
 * - It answers `GET /healthcheck`, and rejects unsigned API calls (MissingAuthenticationToken) without
 *   checking signatures.
 * - On SIGTERM it takes about 2 s to exit, and after a client broke an HTTP/2 session with it, it can hang
 *   there for good; we give it 300 ms, then SIGKILL (its state is in memory only, nothing to flush).
 */

import { join } from 'node:path';
import { type EmulatorProcess, packageDir, startEmulatorProcess, withFreePorts } from './emulator-process.js';

export interface KinesisMockOptions {
  /** Plain-HTTP port; a free one is picked when omitted (the TLS port is always picked). */
  port?: number;
  /** Delay of stream operations (CreateStream, UpdateShardCount...), as kinesis-mock parses it. @default '0ms' */
  operationDelay?: string;
  readyTimeoutMs?: number;
  onOutput?: (line: string) => void;
}

export interface KinesisMock {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  pid: number;
  process: EmulatorProcess;
  stop(): Promise<void>;
}

const OPERATION_DELAYS = [
  'CREATE_STREAM_DURATION',
  'DELETE_STREAM_DURATION',
  'REGISTER_STREAM_CONSUMER_DURATION',
  'DEREGISTER_STREAM_CONSUMER_DURATION',
  'START_STREAM_ENCRYPTION_DURATION',
  'STOP_STREAM_ENCRYPTION_DURATION',
  'MERGE_SHARDS_DURATION',
  'SPLIT_SHARD_DURATION',
  'UPDATE_SHARD_COUNT_DURATION',
  'UPDATE_STREAM_MODE_DURATION',
];

/** Probes kinesis-mock's health route. */
export async function kinesisMockAnswers(endpoint: string, signal: AbortSignal): Promise<boolean> {
  const response = await fetch(`${endpoint}/healthcheck`, { signal });
  await response.body?.cancel();
  return response.ok;
}

export async function startKinesisMock(options: KinesisMockOptions = {}): Promise<KinesisMock> {
  const dir = packageDir('kinesis-local');
  const start = async (plainPort: number, tlsPort: number): Promise<KinesisMock> => {
    const delay = options.operationDelay ?? '0ms';
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      KINESIS_MOCK_PLAIN_PORT: `${plainPort}`,
      KINESIS_MOCK_TLS_PORT: `${tlsPort}`,
      KINESIS_MOCK_CERT_PATH: join(dir, 'server.json'),
      AWS_ACCOUNT_ID: '000000000000',
      AWS_REGION: 'us-east-1',
      LOG_LEVEL: 'WARN',
      ...Object.fromEntries(OPERATION_DELAYS.map((name) => [name, delay])),
    };
    const endpoint = `http://127.0.0.1:${plainPort}`;
    const child = await startEmulatorProcess({
      name: 'kinesis-mock',
      args: [join(dir, 'main.js')],
      cwd: dir,
      env,
      ports: [plainPort, tlsPort],
      probe: (signal) => kinesisMockAnswers(endpoint, signal),
      // Its shutdown takes 2 s even when healthy and may hang; with nothing persisted, waiting buys nothing.
      stopGraceMs: 300,
      ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
      ...(options.onOutput === undefined ? {} : { onOutput: options.onOutput }),
    });
    return { endpoint, port: plainPort, pid: child.pid, process: child, stop: child.stop };
  };
  if (options.port !== undefined) {
    const requested = options.port;
    return withFreePorts(1, ([tls]) => start(requested, tls ?? 0));
  }
  return withFreePorts(2, ([plain, tls]) => start(plain ?? 0, tls ?? 0));
}
