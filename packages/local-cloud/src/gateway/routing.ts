/**
 * Which part of the local cloud a request to the endpoint is for: the AWS service (its `X-Amz-Target` prefix,
 * else the service of its SigV4 credential scope, else S3), or an HTTP API (execute-api host and path forms).
 */

import type { IncomingHttpHeaders } from 'node:http';

/** X-Amz-Target prefixes of the JSON-protocol services, to the service that serves them. */
export const TARGET_PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ['Kinesis_20131202.', 'kinesis'],
  ['DynamoDB_20120810.', 'dynamodb'],
  ['DynamoDBStreams_20120810.', 'dynamodb'],
  ['AmazonSQS.', 'sqs'],
  ['Firehose_20150804.', 'firehose'],
  ['Logs_20140328.', 'logs'],
  ['GraniteServiceVersion20100801.', 'monitoring'],
  ['AWSEvents.', 'events'],
  ['AWSGlue.', 'glue'],
];

/** Signing names that differ from the service that serves them. */
const SIGNING_NAME_ALIASES: Readonly<Record<string, string>> = { streams: 'dynamodb' };

const SCOPE = /^[^/\s]+\/\d{8}\/[^/\s]+\/([^/\s]+)\/aws4_request$/;
const AUTHORIZATION_SCOPE = /Credential=([^,\s]+)/;

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `<apiId>.execute-api.localhost`, `<apiId>.execute-api.localhost.localstack.cloud`, with or without a region
 * label before `localhost` (as LocalStack accepts), and AWS's own `<apiId>.execute-api.<region>.amazonaws.com`
 * (which reaches this port only when the client maps it here: curl --connect-to, /etc/hosts).
 */
const EXECUTE_API_HOST =
  /^([a-z0-9]+)\.execute-api\.(?:[a-z0-9-]+\.)?(?:localhost(?:\.localstack\.cloud)?|amazonaws\.com)\.?(?::\d+)?$/i;
const EXECUTE_API_PATH = /^\/_aws\/execute-api\/([^/?#]+)([^?#]*)(.*)$/s;

/**
 * The HTTP API a request is for, and the path it asks that API for; undefined for any other request.
 * `prefix` is the part of the path the gateway took off (path form), empty for the host form.
 */
export function executeApiTarget(
  url: string,
  host: string | undefined,
): { apiId: string; path: string; prefix: string } | undefined {
  const byHost = host === undefined ? undefined : EXECUTE_API_HOST.exec(host);
  if (byHost) return { apiId: (byHost[1] as string).toLowerCase(), path: url, prefix: '' };
  const byPath = EXECUTE_API_PATH.exec(url);
  if (!byPath) return undefined;
  const apiId = byPath[1] as string;
  const rest = byPath[2] as string;
  return {
    apiId,
    path: `${rest === '' ? '/' : rest}${byPath[3] as string}`,
    prefix: `/_aws/execute-api/${apiId}`,
  };
}

/**
 * The URL an HTTP API answers at on the endpoint `http://127.0.0.1:<port>`: the path form
 * `http://127.0.0.1:<port>/_aws/execute-api/<apiId>`, which needs no name to resolve (the host forms need DNS
 * for `*.localhost.localstack.cloud`, or a resolver that maps `*.localhost` to loopback, which Node's does not).
 */
export function executeApiUrl(endpoint: string, apiId: string): string {
  return `${endpoint.replace(/\/$/, '')}/_aws/execute-api/${apiId}`;
}

/** The AWS service a request is for (see the file comment for the rules). */
export function serviceForRequest(url: string, headers: IncomingHttpHeaders): string {
  const target = headerValue(headers, 'x-amz-target');
  if (target !== undefined) {
    for (const [prefix, service] of TARGET_PREFIXES) if (target.startsWith(prefix)) return service;
  }
  let credential = AUTHORIZATION_SCOPE.exec(headerValue(headers, 'authorization') ?? '')?.[1];
  if (credential === undefined && url.includes('X-Amz-Credential=')) {
    credential = new URL(url, 'http://localhost').searchParams.get('X-Amz-Credential') ?? undefined;
  }
  const signingName = credential === undefined ? undefined : SCOPE.exec(credential)?.[1];
  if (signingName !== undefined) return SIGNING_NAME_ALIASES[signingName] ?? signingName;
  return 's3';
}
