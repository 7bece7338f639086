/** Powertools for the handlers: a Logger, Metrics (EMF) and a Tracer per function, configured from env. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Env } from './config.js';

export const DEFAULT_METRICS_NAMESPACE = 'streamfeatures';

export interface Powertools {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

/**
 * `POWERTOOLS_SERVICE_NAME` and `POWERTOOLS_METRICS_NAMESPACE` win when set; otherwise the function's own
 * name and `streamfeatures`. Tracing is kept light: the AWS clients are captured (one subsegment per call),
 * raw HTTP is not (unless `POWERTOOLS_TRACER_CAPTURE_HTTPS_REQUESTS` says so), and responses are not recorded.
 */
export function powertools(defaultServiceName: string, env: Env = process.env): Powertools {
  const serviceName = env.POWERTOOLS_SERVICE_NAME || defaultServiceName;
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({
      serviceName,
      namespace: env.POWERTOOLS_METRICS_NAMESPACE || DEFAULT_METRICS_NAMESPACE,
    }),
    tracer: new Tracer({
      serviceName,
      captureHTTPsRequests: env.POWERTOOLS_TRACER_CAPTURE_HTTPS_REQUESTS === 'true',
    }),
  };
}
