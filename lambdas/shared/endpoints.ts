import type { Env } from './config.js';

/**
 * True when the SDK is pointed at a custom endpoint (`AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_<SERVICE>`, as the
 * local cloud and LocalStack do): S3 then needs path-style addressing, as `bucket.localhost` does not resolve.
 */
export function usesCustomEndpoint(service: string, env: Env = process.env): boolean {
  return Boolean(env.AWS_ENDPOINT_URL || env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`]);
}
