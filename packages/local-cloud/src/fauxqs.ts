/**
 * Starts fauxqs (npm `fauxqs` 1.x: S3, SQS, SNS and STS GetCallerIdentity on one port) for the local cloud.
 * (fauxqs 2.x, which needs Node 22.5 or later, is not used: this project runs on Node 20.)
 *
 * Facts about fauxqs 1.9.2 that shape this code:
 * - It is an ES module library built on Fastify. Its own `startFauxqs` listens on 0.0.0.0; we run its
 *   `buildApp` in a child process of our own (a few lines of script) that listens on 127.0.0.1 only, with
 *   request logging off. A child process rather than in ours, so the local cloud's processes are alike and
 *   `down` can stop them all the same way.
 * - Its package exports only an `import` condition (require.resolve cannot find it): we find its folder in
 *   node_modules and import dist/app.js by path.
 * - It keeps everything in memory and buffers each request body: one request body may be at most 11 MiB
 *   (Fastify's bodyLimit, fixed inside buildApp), so S3 objects above that need a multipart upload.
 * - SQS speaks only the JSON protocol (the AWS SDK v3's); query-protocol (form-encoded) calls are taken as SNS.
 *   The endpoint translates SQS query-protocol calls in front of it (src/sqs-query/), and answers STS itself
 *   (src/sts/) rather than sending it fauxqs's GetCallerIdentity.
 * - Queues are looked up by their exact URL, `http://<the Host header of CreateQueue>/000000000000/<name>`
 *   (see SERVER_SCRIPT): a client must reach a queue through the host:port it was created with
 *   (`127.0.0.1:4566` and `localhost:4566` are different queues' URLs).
 * - It answers `GET /health` with `{"status":"ok"}` and accepts any credentials without checking them.
 */

import { join } from 'node:path';
import { type EmulatorProcess, packageDir, startEmulatorProcess, withFreePorts } from './emulator-process.js';

export interface FauxqsOptions {
  /** A free one is picked when omitted. */
  port?: number;
  readyTimeoutMs?: number;
  onOutput?: (line: string) => void;
}

export interface Fauxqs {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  pid: number;
  process: EmulatorProcess;
  stop(): Promise<void>;
}

/**
 * Run by `node --input-type=module -e`; argv: the path of fauxqs's dist/app.js, the port. The SQS store's
 * host is cleared so that queue URLs use the client's Host (`http://127.0.0.1:4566/000000000000/q`), not
 * `http://sqs.<region>.localhost:4566/...`: the SDK sends SQS calls to the queue URL's origin when only
 * AWS_ENDPOINT_URL is set, and `*.localhost` does not resolve everywhere.
 */
const SERVER_SCRIPT = `
import { pathToFileURL } from 'node:url';
const [appPath, port] = process.argv.slice(1);
const { buildApp } = await import(pathToFileURL(appPath).href);
const { SqsStore } = await import(new URL('sqs/sqsStore.js', pathToFileURL(appPath)).href);
const sqsStore = new SqsStore();
sqsStore.host = '';
const app = buildApp({ logger: false, stores: { sqsStore } });
await app.listen({ port: Number(port), host: '127.0.0.1' });
`;

/** Probes fauxqs's health route. */
export async function fauxqsAnswers(endpoint: string, signal: AbortSignal): Promise<boolean> {
  const response = await fetch(`${endpoint}/health`, { signal });
  await response.body?.cancel();
  return response.ok;
}

export async function startFauxqsEmulator(options: FauxqsOptions = {}): Promise<Fauxqs> {
  const appPath = join(packageDir('fauxqs'), 'dist', 'app.js');
  const start = async (port: number): Promise<Fauxqs> => {
    const endpoint = `http://127.0.0.1:${port}`;
    const child = await startEmulatorProcess({
      name: 'fauxqs',
      args: ['--input-type=module', '-e', SERVER_SCRIPT, appPath, `${port}`],
      env: { PATH: process.env.PATH, NODE_ENV: 'production' },
      ports: [port],
      probe: (signal) => fauxqsAnswers(endpoint, signal),
      ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
      ...(options.onOutput === undefined ? {} : { onOutput: options.onOutput }),
    });
    return { endpoint, port, pid: child.pid, process: child, stop: child.stop };
  };
  if (options.port !== undefined) return start(options.port);
  return withFreePorts(1, ([port]) => start(port ?? 0));
}
