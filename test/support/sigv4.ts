/**
 * A POST signed with SigV4 as the SDKs sign it, for tests that call the local cloud's endpoint or an HTTP API by
 * hand (raw query-protocol form posts, execute-api requests with odd credentials, regions or signing dates).
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../../packages/local-cloud/src/http-api.js';

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface SigningOptions {
  /** Default the local cloud's static test credentials. */
  readonly credentials?: SigningCredentials;
  /** Default us-east-1. */
  readonly region?: string;
  /** Default execute-api. */
  readonly service?: string;
  /** Default application/json. */
  readonly contentType?: string;
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
    credentials: options.credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' },
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
      headers: { host: url.host, 'content-type': options.contentType ?? 'application/json' },
      body,
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  return signed.headers as Record<string, string>;
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
