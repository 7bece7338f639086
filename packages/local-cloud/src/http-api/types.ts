/** The local HTTP API's public types: routes, their results, and the API's options. */

import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ServiceMetrics } from '../cloudwatch/service-metrics.js';

export type HttpApiResult =
  | {
      statusCode?: number;
      headers?: Record<string, string | number | boolean>;
      cookies?: string[];
      body?: string;
      isBase64Encoded?: boolean;
    }
  | string
  | number
  | boolean
  | null
  | object;

export interface HttpApiRoute {
  /** `POST /score`, `GET /items/{id}`, `ANY /{proxy+}`, `$default`. */
  readonly routeKey: string;
  /** @default 'NONE' */
  readonly authorizationType?: 'NONE' | 'AWS_IAM';
  /** The Lambda behind the route. */
  readonly invoke: (event: APIGatewayProxyEventV2) => Promise<HttpApiResult>;
}

export interface HttpApiOptions {
  /** More can be added with `addRoute`. */
  readonly routes: readonly HttpApiRoute[];
  /** The stage's DefaultRouteSettings. @default - no throttling */
  readonly defaultRouteSettings?: {
    readonly throttlingRateLimit?: number;
    readonly throttlingBurstLimit?: number;
  };
  /**
   * Long-term access key → secret key accepted on AWS_IAM routes; temporary credentials the local STS issued
   * (src/sts/) are accepted too. @default { test: 'test', local: 'local' }
   */
  readonly credentials?: Readonly<Record<string, string>>;
  /** @default 'local' */
  readonly apiId?: string;
  /** The API's region: AWS_IAM routes refuse signatures scoped to another. @default 'us-east-1' */
  readonly region?: string;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** @default 30_000 */
  readonly integrationTimeoutMs?: number;
  /** 0 picks a free port on 127.0.0.1. @default 0 */
  readonly port?: number;
  /** Each request's access-log line (method, path, route, status, latency). */
  readonly onLog?: (line: string) => void;
  /** Where its AWS/ApiGateway metrics go: its cloud's (`services.cloudwatch.serviceMetrics`). @default nowhere */
  readonly serviceMetrics?: ServiceMetrics;
}
