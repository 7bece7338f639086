/**
 * A local API Gateway HTTP API (v2) in front of Lambda callbacks, for the embedded local cloud: each request
 * becomes a payload format 2.0 event, the callback's result becomes the HTTP answer, as API Gateway's Lambda
 * proxy integration does.
 *
 * As AWS does:
 * - Routes `METHOD /path` with `{param}` and greedy `{proxy+}` segments, `ANY`, and `$default`; the most
 *   specific route wins. No route: 404 `{"message":"Not Found"}`.
 * - The event: version, routeKey, rawPath, rawQueryString, cookies, headers (lower-cased, repeated ones joined
 *   with commas), queryStringParameters (repeated ones joined with commas), pathParameters, requestContext
 *   (accountId, apiId, domainName, domainPrefix, http {method, path, protocol, sourceIp, userAgent},
 *   requestId, routeKey, stage `$default`, time, timeEpoch, and authorizer.iam for AWS_IAM routes), body and
 *   isBase64Encoded (text content types as text, anything else in base64).
 * - The result: `{statusCode, headers, cookies, body, isBase64Encoded}`; anything else (an object without
 *   statusCode, a string, a number) is a 200 with `content-type: application/json` and the value as JSON.
 *   A callback that throws, or a result that is not a valid response, is a 500 `{"message":"Internal Server
 *   Error"}`; one slower than the integration timeout (30 s) a 503 `{"message":"Service Unavailable"}`.
 * - Bodies over 10 MB (HTTP APIs' payload quota): 413 `{"message":"Request Entity Too Large"}`. An event over
 *   Lambda's 6 MB synchronous invocation limit (the whole event: the body in it as a JSON string, or in base64
 *   for a binary content type): Lambda refuses the invocation, so the function never runs and the answer is 500
 *   `{"message":"Internal Server Error"}`, as API Gateway answers when the Lambda API rejects an invoke.
 * - AWS_IAM routes: SigV4 (`Authorization` header, service `execute-api`) recomputed with @smithy/signature-v4
 *   from the request as received and the secret of the access key (test/test and local/local by default, or
 *   credentials the local STS issued, with their session token); an unsigned request is 403
 *   `{"message":"Forbidden"}`, as LocalStack and AWS answer; a bad signature, an unknown key, a scope naming
 *   another region or service, a session token the local STS did not issue or that expired, or a date more than
 *   5 minutes off is 403 with AWS's message for it. Behind the local cloud's endpoint in the path form
 *   (`/_aws/execute-api/<apiId>/...`), the signed path is the client's, named in X-Forwarded-Prefix.
 * - Throttling per route from the stage's DefaultRouteSettings (token bucket: `throttlingBurstLimit` tokens,
 *   refilled at `throttlingRateLimit` a second): 429 `{"message":"Too Many Requests"}`, checked before auth.
 *
 * Not emulated: JWT and Lambda authorizers, presigned (query-string) SigV4, CORS, custom domains, stage
 * variables, mapping of response headers; `multiValueHeaders` in a result is ignored, as payload 2.0 does.
 */

export { LocalHttpApi, startHttpApi } from './http-api/server.js';
export { Sha256 } from './http-api/sigv4.js';
export type { HttpApiOptions, HttpApiResult, HttpApiRoute } from './http-api/types.js';
