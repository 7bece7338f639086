/**
 * A POST signed with SigV4 as the SDKs sign it, for calls the CLI makes without an SDK client (the scoring API,
 * one CloudWatch read) and for tests that call the local cloud or an HTTP API by hand.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../packages/local-cloud/src/http-api.js';

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** The local cloud's static credentials (any credentials sign; these are the documented ones). */
export const LOCAL_CREDENTIALS: SigningCredentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface SigningOptions {
  /** Default the local cloud's static credentials. */
  readonly credentials?: SigningCredentials;
  /** Default us-east-1. */
  readonly region?: string;
  /** Default execute-api. */
  readonly service?: string;
  /** Default application/json. */
  readonly contentType?: string;
  /** Headers signed with the request (e.g. an AWS JSON protocol's x-amz-target). */
  readonly headers?: Record<string, string>;
  /** Default now. */
  readonly signingDate?: Date;
}

/** The headers of a POST of `body` to `url` (its query string included), signed. */
export async function signedPostHeaders(
  url: URL,
  body: string,
  options: SigningOptions = {},
): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: options.credentials ?? LOCAL_CREDENTIALS,
    region: options.region ?? 'us-east-1',
    service: options.service ?? 'execute-api',
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: queryOf(url.searchParams),
      headers: {
        host: url.host,
        'content-type': options.contentType ?? 'application/json',
        ...options.headers,
      },
      body,
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  return signed.headers as Record<string, string>;
}

/** POSTs `body` to `url`, signed. */
export async function signedPost(url: URL, body: string, options: SigningOptions = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: await signedPostHeaders(url, body, options), body });
}

/** A query string as the signer takes it: a repeated key holds its values in order. */
function queryOf(params: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    query[key] = values.length === 1 ? (values[0] as string) : values;
  }
  return query;
}
