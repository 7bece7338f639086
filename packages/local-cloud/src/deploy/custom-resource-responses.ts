/**
 * The response side of custom resources: the ResponseURL each request carries, and the place where a provider's
 * PUT to it is received and handed to the deployment waiting for it.
 *
 * On AWS the ResponseURL is a presigned S3 URL (`https://cloudformation-custom-resource-response-<region>.s3...`).
 * Here it is the same shape on the cloud's endpoint, path-style:
 * `<endpoint>/cloudformation-custom-resource-response-<region>/<stack id>|<logical id>|<request id>?X-Amz-...`.
 * Its presigned-style credential scope names the `cloudformation` service, so the endpoint's gateway hands the
 * PUT to the local CloudFormation (src/cloudformation/server.ts), which calls `acceptCustomResourceResponse`. The
 * `X-Amz-Signature` is a random token per request: a PUT without it is refused as S3 refuses a bad signature.
 *
 * Waiting requests are kept per process, so any CloudFormation server of this process (the cloud's) accepts the
 * response to a deployment run in the same process.
 */

import { randomBytes } from 'node:crypto';

/** The response fields CloudFormation reads (crpg-ref-responses). */
export interface CustomResourceResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  NoEcho?: boolean;
  Data?: Record<string, unknown>;
}

/** What a waiting request gets: the provider's response, or why it is not one CloudFormation accepts. */
export type ResponseOutcome = { response: CustomResourceResponse } | { invalid: string };

/** "The total size of the response body can't exceed 4096 bytes." */
export const MAX_RESPONSE_BYTES = 4096;

const BUCKET_PREFIX = 'cloudformation-custom-resource-response-';

interface Waiting {
  token: string;
  stackId: string;
  logicalId: string;
  settle(outcome: ResponseOutcome): void;
}

const waiting = new Map<string, Waiting>();

/** A request waiting for its response: its URL, the response when it comes, and `cancel` to stop waiting. */
export interface PendingResponse {
  readonly responseUrl: string;
  readonly outcome: Promise<ResponseOutcome>;
  cancel(): void;
}

export function awaitResponse(
  endpoint: string,
  region: string,
  stackId: string,
  logicalId: string,
  requestId: string,
  now: Date = new Date(),
): PendingResponse {
  const token = randomBytes(32).toString('hex');
  const date = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const scope = `LOCALCFN/${date.slice(0, 8)}/${region}/cloudformation/aws4_request`;
  const key = encodeURIComponent(`${stackId}|${logicalId}|${requestId}`);
  const query = new URLSearchParams({
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': scope,
    'X-Amz-Date': date,
    'X-Amz-Expires': '7200',
    'X-Amz-SignedHeaders': 'host',
    'X-Amz-Signature': token,
  });
  const responseUrl = `${endpoint.replace(/\/+$/, '')}/${BUCKET_PREFIX}${region.replace(/-/g, '')}/${key}?${query}`;
  let settle: (outcome: ResponseOutcome) => void = () => {};
  const outcome = new Promise<ResponseOutcome>((resolve) => {
    settle = resolve;
  });
  waiting.set(requestId, {
    token,
    stackId,
    logicalId,
    settle: (o) => {
      waiting.delete(requestId);
      settle(o);
    },
  });
  return { responseUrl, outcome, cancel: () => waiting.delete(requestId) };
}

/** Whether a request path is a custom resource's ResponseURL. */
export function isCustomResourceResponsePath(url: string): boolean {
  return url.startsWith(`/${BUCKET_PREFIX}`);
}

/**
 * A PUT to a ResponseURL: the HTTP answer to give (S3's: 200, or 403 for a URL no request waits on), after the
 * waiting request has its outcome. A body CloudFormation would not accept still gets 200, as S3 stores it; the
 * resource then fails with the reason.
 */
export function acceptCustomResourceResponse(
  url: string,
  body: Buffer,
): { status: number; code?: string; message?: string } {
  const parsed = new URL(url, 'http://localhost');
  const key = decodeURIComponent(parsed.pathname.split('/').slice(2).join('/'));
  const requestId = key.slice(key.lastIndexOf('|') + 1);
  const pending = waiting.get(requestId);
  if (pending === undefined || parsed.searchParams.get('X-Amz-Signature') !== pending.token) {
    return {
      status: 403,
      code: 'AccessDenied',
      message:
        'No custom resource request waits on this URL (answered already, timed out, or a bad signature).',
    };
  }
  pending.settle(responseOutcome(body, requestId, pending));
  return { status: 200 };
}

function responseOutcome(body: Buffer, requestId: string, pending: Waiting): ResponseOutcome {
  if (body.length > MAX_RESPONSE_BYTES) {
    return { invalid: `Response object is too long (${body.length} bytes; at most ${MAX_RESPONSE_BYTES}).` };
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return { invalid: `Invalid response object: not JSON (${JSON.stringify(body.toString('utf8', 0, 80))})` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { invalid: 'Invalid response object: not a JSON object' };
  }
  const r = value as Record<string, unknown>;
  const problems: string[] = [];
  if (r.Status !== 'SUCCESS' && r.Status !== 'FAILED') {
    problems.push(`Status must be SUCCESS or FAILED (got ${JSON.stringify(r.Status)})`);
  }
  if (typeof r.PhysicalResourceId !== 'string' || r.PhysicalResourceId === '') {
    problems.push('PhysicalResourceId must be a non-empty string');
  } else if (Buffer.byteLength(r.PhysicalResourceId) > 1024) {
    problems.push('PhysicalResourceId is over 1 KB');
  }
  if (r.RequestId !== requestId) problems.push(`RequestId must be the request's (${requestId})`);
  if (r.StackId !== pending.stackId) problems.push(`StackId must be the request's (${pending.stackId})`);
  if (r.LogicalResourceId !== pending.logicalId) {
    problems.push(`LogicalResourceId must be the request's (${pending.logicalId})`);
  }
  if (r.Data !== undefined && (r.Data === null || typeof r.Data !== 'object' || Array.isArray(r.Data))) {
    problems.push('Data must be a JSON object');
  }
  // A FAILED response is taken with its Reason even when other fields are off, as CloudFormation reports it.
  if (r.Status === 'FAILED') {
    return {
      response: {
        Status: 'FAILED',
        Reason: typeof r.Reason === 'string' ? r.Reason : '',
        PhysicalResourceId: String(r.PhysicalResourceId ?? ''),
        StackId: pending.stackId,
        RequestId: requestId,
        LogicalResourceId: pending.logicalId,
      },
    };
  }
  if (problems.length > 0) return { invalid: `Invalid response object: ${problems.join('; ')}` };
  return { response: r as unknown as CustomResourceResponse };
}
