/** SigV4 for AWS_IAM routes: the signature check API Gateway makes, and the node:crypto Sha256 it signs with. */

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { sessionOfToken } from '../sts/sessions.js';

const MAX_SKEW_MS = 5 * 60 * 1000;

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytesOf(data: SourceData): string | Buffer {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** A SHA-256 for @smithy/signature-v4 on node:crypto (an HMAC when given a secret): for the verifier here and for clients signing requests to the local API. */
export class Sha256 {
  private readonly hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {
    throw new Error('Sha256.reset is not supported');
  }
}

export class Refusal extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret ' +
  'Access Key and signing method. Consult the service documentation for details.';

const INVALID_TOKEN = 'The security token included in the request is invalid.';

/** Who may call, and where the API lives. */
export interface Verifier {
  /** Long-term access key → secret key. */
  readonly credentials: Readonly<Record<string, string>>;
  /** The API's region: the credential scope must name it. */
  readonly region: string;
  /** Credentials with a session token must be ones the local STS issued and that have not expired. */
  readonly now?: number;
}

/**
 * Checks the request's SigV4 signature as API Gateway does; returns its access key, or throws a Refusal.
 * `rawPath` is the path the client signed (with any prefix a proxy took off).
 */
export async function verifySignature(
  verifier: Verifier,
  req: IncomingMessage,
  method: string,
  rawPath: string,
  rawQueryString: string,
  body: Buffer,
): Promise<string> {
  const authorization = header(req, 'authorization');
  if (authorization === undefined) throw new Refusal(403, 'Forbidden');
  const parsed =
    /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/.exec(
      authorization,
    );
  if (!parsed) {
    throw new Refusal(
      403,
      `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=${authorization}`,
    );
  }
  const [, credential, signedHeaderList, signature] = parsed as unknown as [string, string, string, string];
  const scope = credential.split('/');
  const [accessKey, scopeDate, region, service, terminator] = scope;
  if (scope.length !== 5 || terminator !== 'aws4_request' || !accessKey || !scopeDate || !region) {
    throw new Refusal(403, `Credential should be scoped to a valid region. Credential=${credential}`);
  }
  if (region !== verifier.region) {
    throw new Refusal(403, `Credential should be scoped to a valid region, not '${region}'. `);
  }
  if (service !== 'execute-api') {
    throw new Refusal(403, `Credential should be scoped to correct service: 'execute-api'. `);
  }
  const secret = secretOf(verifier, accessKey, header(req, 'x-amz-security-token'));
  const amzDate = header(req, 'x-amz-date');
  const signingDate = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (signingDate === undefined) {
    throw new Refusal(
      403,
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  }
  if (!amzDate?.startsWith(scopeDate)) {
    throw new Refusal(
      403,
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amzDate?.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  const now = Date.now();
  if (signingDate.getTime() < now - MAX_SKEW_MS) {
    throw new Refusal(
      403,
      `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - MAX_SKEW_MS)} (${formatAmzDate(now)} - 5 min.)`,
    );
  }
  if (signingDate.getTime() > now + MAX_SKEW_MS) {
    throw new Refusal(
      403,
      `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + MAX_SKEW_MS)} (${formatAmzDate(now)} + 5 min.)`,
    );
  }
  const signed = signedHeaderList.split(';');
  if (!signed.includes('host')) {
    throw new Refusal(403, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const value = header(req, name);
    if (value !== undefined) headers[name] = value;
  }
  // The signer trusts x-amz-content-sha256 as the body's hash; API Gateway hashes the body it received.
  const bodyHash = createHash('sha256').update(body).digest('hex');
  const claimed = headers['x-amz-content-sha256'];
  if (claimed !== undefined && claimed !== bodyHash) throw new Refusal(403, SIGNATURE_MISMATCH);
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    const seen = query[key];
    query[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: accessKey,
      secretAccessKey: secret,
      ...(headers['x-amz-security-token'] ? { sessionToken: headers['x-amz-security-token'] } : {}),
    },
    region,
    service: 'execute-api',
    sha256: Sha256,
    applyChecksum: false,
  });
  const expected = await signer.sign(
    { method, protocol: 'http:', hostname: headers.host ?? '', path: rawPath, query, headers, body },
    { signingDate, signableHeaders: new Set(signed) },
  );
  const expectedSignature =
    /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization))?.[1] ?? '';
  const expectedHeaders = /SignedHeaders=([^,\s]+)/.exec(String(expected.headers.authorization))?.[1];
  if (
    expectedHeaders !== signedHeaderList ||
    !timingSafeEqual(Buffer.from(expectedSignature), Buffer.from(signature))
  ) {
    throw new Refusal(403, SIGNATURE_MISMATCH);
  }
  return accessKey;
}

/**
 * The secret of the access key that signed: a long-term key's without a session token; with one, the secret
 * the local STS issued with that token (to that access key), unexpired.
 */
function secretOf(verifier: Verifier, accessKey: string, sessionToken: string | undefined): string {
  if (sessionToken === undefined) {
    const secret = verifier.credentials[accessKey];
    if (secret === undefined) throw new Refusal(403, INVALID_TOKEN);
    return secret;
  }
  const issued = sessionOfToken(sessionToken);
  if (issued === undefined || issued.accessKeyId !== accessKey) throw new Refusal(403, INVALID_TOKEN);
  if (issued.expiration.getTime() <= (verifier.now ?? Date.now())) {
    throw new Refusal(403, 'The security token included in the request is expired');
  }
  return issued.secretAccessKey;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
