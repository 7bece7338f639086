/**
 * A local SageMaker runtime for the embedded local cloud: the InvokeEndpoint REST API
 * (`POST /endpoints/{EndpointName}/invocations`, signed with service `sagemaker`), each configured endpoint
 * served by the embedded model (adapters/model/embedded-model.ts) as a model container would serve it.
 *
 * The container contract: request `application/json`
 * `{"features": {name: value}}`, answer `{"score": number}` (plus `"modelVersion"` when the endpoint is
 * configured to name one), with `x-Amzn-Invoked-Production-Variant` naming the variant.
 *
 * As AWS does: an unknown endpoint is a 400 ValidationError "Endpoint X of account 000000000000 not found.";
 * endpoint names match case-insensitively; a request the container rejects (not JSON, no `features` object,
 * a content type or Accept it does not speak), or a configured container failure, is a 424 ModelError with
 * OriginalStatusCode, OriginalMessage and LogStreamArn. Signatures are not checked (nor are they by the other
 * emulators of the local cloud). `latencyMs` delays each answer (for timeout tests); an answer still pending
 * when the client gives up is dropped.
 */

import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeServer, listenLocal, readBody, sendJson } from './http-server.js';

/** InvokeEndpoint takes at most 25 MB of payload. */
const MAX_PAYLOAD_BYTES = 25 * 1000 * 1000;
const INVOCATIONS = /^\/endpoints\/([^/]+)\/invocations$/;

/**
 * What a model container computes: the hook through which the caller plugs its own model into the emulator
 * (the local cloud knows no model format). A throw answers as a 424 ModelError with status 400.
 */
export interface EndpointModel {
  /** Answered as `"modelVersion"` when the endpoint's `modelVersion` is `true`. */
  readonly version?: string;
  /** The score of one request's `features` object (as parsed from its JSON). */
  scoreVector(features: Readonly<Record<string, unknown>>): number;
}

export interface SageMakerEndpointConfig {
  /** The model the endpoint serves. */
  readonly model: EndpointModel;
  /** @default 'AllTraffic' */
  readonly variant?: string;
  /** Answer `"modelVersion"`: the document's version (`true`) or this string. @default - not answered */
  readonly modelVersion?: boolean | string;
  /** Delay before each answer, in ms. @default 0 (or the emulator's `latencyMs`) */
  readonly latencyMs?: number;
  /** The container fails every request with this status and message (a 424 ModelError). @default - none */
  readonly failure?: { readonly statusCode: number; readonly message: string };
}

export interface SageMakerRuntimeOptions {
  /** Endpoint name → what it serves. */
  readonly endpoints?: Readonly<Record<string, SageMakerEndpointConfig>>;
  /** Delay before every answer, in ms, unless an endpoint sets its own. @default 0 */
  readonly latencyMs?: number;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** 0 picks a free port on 127.0.0.1. @default 0 */
  readonly port?: number;
}

interface Endpoint {
  readonly name: string;
  readonly model: EndpointModel;
  readonly variant: string;
  readonly modelVersion: string | undefined;
  readonly latencyMs: number | undefined;
  readonly failure: SageMakerEndpointConfig['failure'];
}

class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly type: string,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export class SageMakerRuntimeEmulator {
  private server: http.Server | undefined;
  private originUrl: string | undefined;
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly pending = new Set<NodeJS.Timeout>();
  private latencyMs: number;
  private readonly accountId: string;
  private readonly region: string;

  constructor(private readonly options: SageMakerRuntimeOptions = {}) {
    this.latencyMs = options.latencyMs ?? 0;
    this.accountId = options.accountId ?? '000000000000';
    this.region = options.region ?? 'us-east-1';
    for (const [name, config] of Object.entries(options.endpoints ?? {})) this.setEndpoint(name, config);
  }

  /** `http://127.0.0.1:<port>`, once started. */
  get origin(): string {
    if (this.originUrl === undefined) throw new Error('the SageMaker runtime emulator is not started');
    return this.originUrl;
  }

  async start(): Promise<this> {
    if (this.server) return this;
    const { server, origin } = await listenLocal((req, res) => this.handle(req, res), {
      port: this.options.port ?? 0,
    });
    this.server = server;
    this.originUrl = origin;
    return this;
  }

  /** Stops listening; answers still waiting out their latency are dropped. Idempotent. */
  async stop(): Promise<void> {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await closeServer(server);
  }

  /** Adds or replaces an endpoint (names are case-insensitive, as SageMaker's are). */
  setEndpoint(name: string, config: SageMakerEndpointConfig): void {
    const model = config.model;
    this.endpoints.set(name.toLowerCase(), {
      name,
      model,
      variant: config.variant ?? 'AllTraffic',
      modelVersion:
        config.modelVersion === true
          ? model.version
          : typeof config.modelVersion === 'string'
            ? config.modelVersion
            : undefined,
      latencyMs: config.latencyMs,
      failure: config.failure,
    });
  }

  removeEndpoint(name: string): void {
    this.endpoints.delete(name.toLowerCase());
  }

  /** Sets the delay of every answer (of one endpoint, when named). */
  setLatency(ms: number, endpointName?: string): void {
    if (endpointName === undefined) {
      this.latencyMs = ms;
      return;
    }
    const endpoint = this.endpoints.get(endpointName.toLowerCase());
    if (!endpoint) throw new Error(`no endpoint ${endpointName}`);
    this.endpoints.set(endpointName.toLowerCase(), { ...endpoint, latencyMs: ms });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    try {
      // Past the limit the body is read and dropped: the size is answered below, after the endpoint.
      const body = await readBody(req, MAX_PAYLOAD_BYTES);
      const path = (req.url ?? '/').split('?')[0] as string;
      const match = INVOCATIONS.exec(path);
      if (req.method !== 'POST' || !match) {
        throw new ApiError(404, 'UnknownOperationException', `No operation at ${req.method} ${path}`);
      }
      const name = decodeURIComponent(match[1] as string);
      const endpoint = this.endpoints.get(name.toLowerCase());
      if (!endpoint) {
        throw new ApiError(
          400,
          'ValidationError',
          `Endpoint ${name} of account ${this.accountId} not found.`,
        );
      }
      if (body === undefined) {
        throw new ApiError(
          413,
          'ValidationError',
          `Request payload is larger than ${MAX_PAYLOAD_BYTES} bytes.`,
        );
      }
      const answer = this.invoke(endpoint, req, body);
      const latency = endpoint.latencyMs ?? this.latencyMs;
      if (latency > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.pending.delete(timer);
            resolve();
          }, latency);
          this.pending.add(timer);
        });
      }
      if (closed) return;
      sendJson(res, 200, answer, {
        'x-amzn-requestid': requestId,
        'x-amzn-invoked-production-variant': endpoint.variant,
      });
    } catch (error) {
      if (closed) return;
      const apiError =
        error instanceof ApiError
          ? error
          : new ApiError(500, 'InternalFailure', error instanceof Error ? error.message : String(error));
      sendJson(
        res,
        apiError.statusCode,
        { message: apiError.message, ...apiError.extra },
        { 'x-amzn-requestid': requestId, 'x-amzn-errortype': apiError.type },
      );
    }
  }

  /** What the model container answers, or the ModelError SageMaker turns its refusal into. */
  private invoke(endpoint: Endpoint, req: IncomingMessage, body: Buffer): Record<string, unknown> {
    const containerError = (statusCode: number, message: string) => {
      const logGroup = `/aws/sagemaker/Endpoints/${endpoint.name}`;
      return new ApiError(
        424,
        'ModelError',
        `Received ${statusCode < 500 ? 'client' : 'server'} error (${statusCode}) from primary with message ` +
          `"${message}". See https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}` +
          `#logEventViewer:group=${logGroup} in account ${this.accountId} for more information.`,
        {
          OriginalStatusCode: statusCode,
          OriginalMessage: message,
          LogStreamArn: `arn:aws:logs:${this.region}:${this.accountId}:log-group:${logGroup}`,
        },
      );
    };
    if (endpoint.failure) throw containerError(endpoint.failure.statusCode, endpoint.failure.message);
    const contentType = (req.headers['content-type'] ?? 'application/octet-stream').split(';')[0]?.trim();
    if (contentType !== 'application/json') {
      throw containerError(415, `unsupported content type ${contentType}: send application/json`);
    }
    const accept = req.headers.accept;
    if (
      accept !== undefined &&
      !/(^|,)\s*(application\/json|application\/\*|\*\/\*)\s*(;|,|$)/.test(accept)
    ) {
      throw containerError(406, `cannot answer ${accept}: the model answers application/json`);
    }
    let request: unknown;
    try {
      request = JSON.parse(body.toString('utf8'));
    } catch {
      throw containerError(400, 'the body is not JSON');
    }
    const features = (request as { features?: unknown } | null)?.features;
    if (typeof features !== 'object' || features === null || Array.isArray(features)) {
      throw containerError(400, 'the body needs a "features" object');
    }
    let score: number;
    try {
      score = endpoint.model.scoreVector(features as Readonly<Record<string, unknown>>);
    } catch (error) {
      throw containerError(400, error instanceof Error ? error.message : String(error));
    }
    return endpoint.modelVersion === undefined ? { score } : { score, modelVersion: endpoint.modelVersion };
  }
}

/** Starts a SageMaker runtime emulator (see SageMakerRuntimeOptions). */
export async function startSageMakerRuntime(
  options: SageMakerRuntimeOptions = {},
): Promise<SageMakerRuntimeEmulator> {
  return new SageMakerRuntimeEmulator(options).start();
}
