/**
 * Custom resources (`AWS::CloudFormation::CustomResource`, `Custom::*`) backed by a Lambda function of the cloud,
 * as CloudFormation runs them (crpg-ref): the request object (RequestType, ResponseURL, StackId, RequestId,
 * LogicalResourceId, PhysicalResourceId, ResourceType, ResourceProperties, OldResourceProperties) goes to the
 * function named by the ServiceToken, the deployment waits for the provider's PUT to the ResponseURL
 * (src/deploy/custom-resource-responses.ts) up to ServiceTimeout (default 3600 s), and then:
 *
 * - SUCCESS: the PhysicalResourceId is what Ref answers and Data what Fn::GetAtt answers. An update answered
 *   with another PhysicalResourceId is a replacement: the old one gets a Delete once the stack update is done.
 * - FAILED: the resource fails with CloudFormation's words, `Received response status [FAILED] from custom
 *   resource. Message returned: <Reason> (RequestId: <id>)`, in the stack events, and the stack rolls back.
 * - Delete: on stack deletion, when the template drops it, and on the rollback of its create. The rollback of
 *   an update sends Update back to the properties it had (OldResourceProperties the ones that were tried), or a
 *   Delete of the replacement.
 *
 * As on AWS, the properties arrive as strings (numbers and booleans in ResourceProperties become strings).
 * Differences: SNS-topic service tokens are refused (no SNS delivery to a provider); a function that ends (returns
 * or fails) without having sent its response fails the resource at once, where AWS retries the asynchronous
 * invocation and then waits out the ServiceTimeout; the ResponseURL is `http://` on the cloud's endpoint, so a
 * provider must PUT with a client that follows the URL's scheme (`fetch` does; `cfn-response`'s `https.request`
 * does not).
 */

import { randomUUID } from 'node:crypto';
import type { LocalLambdaFunction } from '../../lambda-runtime.js';
import { awaitResponse, type CustomResourceResponse } from '../custom-resource-responses.js';
import type { Created, CreatorContext } from './context.js';

/** The types this creator serves. */
export function isCustomResourceType(type: string): boolean {
  return type === 'AWS::CloudFormation::CustomResource' || type.startsWith('Custom::');
}

const DEFAULT_SERVICE_TIMEOUT_S = 3600;

type RequestType = 'Create' | 'Update' | 'Delete';

export async function createCustomResource(
  ctx: CreatorContext,
  logicalId: string,
  properties: Record<string, unknown>,
  raw: { Type: string },
): Promise<Created> {
  const type = raw.Type;
  const previous = ctx.previous;
  const sent = asSent(properties) as Record<string, unknown>;
  const rollback = ctx.rollbackOf;
  let physicalId: string;
  let attributes: Record<string, string>;
  let cleanup: (() => Promise<void>) | undefined;
  if (rollback !== undefined && previous !== undefined) {
    if (rollback.physicalId !== undefined && rollback.physicalId !== previous.physicalId) {
      // The update replaced it: the replacement goes, the old one stays as it was.
      await send(ctx, logicalId, type, 'Delete', rollback.properties, { physicalId: rollback.physicalId });
      return { physicalId: previous.physicalId, attributes: previous.attributes };
    }
    const answer = await send(ctx, logicalId, type, 'Update', properties, {
      physicalId: previous.physicalId,
      old: rollback.properties,
    });
    physicalId = answer.PhysicalResourceId;
    attributes = dataOf(answer);
  } else if (previous !== undefined) {
    const answer = await send(ctx, logicalId, type, 'Update', properties, {
      physicalId: previous.physicalId,
      old: previous.properties ?? {},
    });
    physicalId = answer.PhysicalResourceId;
    attributes = dataOf(answer);
    if (physicalId !== previous.physicalId) {
      const old = previous;
      cleanup = async () => {
        await send(ctx, logicalId, type, 'Delete', old.properties ?? {}, { physicalId: old.physicalId });
      };
    }
  } else {
    let answer: CustomResourceResponse;
    try {
      answer = await send(ctx, logicalId, type, 'Create', properties, {});
    } catch (error) {
      // CloudFormation sends a Delete to a custom resource whose Create failed, when the stack rolls back.
      const failedId = (error as { physicalId?: string }).physicalId;
      if (failedId !== undefined) {
        Object.assign(error as object, {
          removeOnRollback: () => send(ctx, logicalId, type, 'Delete', properties, { physicalId: failedId }),
        });
      }
      throw error;
    }
    physicalId = answer.PhysicalResourceId;
    attributes = dataOf(answer);
  }
  const id = physicalId;
  return {
    physicalId,
    attributes,
    notes: [`served by ${String(sent.ServiceToken)}`],
    remove: async () => {
      await send(ctx, logicalId, type, 'Delete', properties, { physicalId: id });
    },
    ...(cleanup === undefined ? {} : { cleanup }),
  };
}

/** Sends one request and waits for its response; throws with CloudFormation's reason unless it is SUCCESS. */
async function send(
  ctx: CreatorContext,
  logicalId: string,
  type: string,
  requestType: RequestType,
  properties: Record<string, unknown>,
  on: { physicalId?: string; old?: Record<string, unknown> },
): Promise<CustomResourceResponse> {
  const token = properties.ServiceToken;
  if (typeof token !== 'string' || token === '') {
    throw new Error('ServiceToken is required: the ARN of the Lambda function that provides the resource');
  }
  if (token.startsWith('arn:aws:sns:')) {
    throw new Error(
      `ServiceToken ${token} is an SNS topic: the local cloud serves Lambda-backed custom resources only`,
    );
  }
  const fn = ctx.functionNamed(token);
  if (fn === undefined) throw new Error(`ServiceToken ${token} names no function of this cloud`);
  const timeoutS = serviceTimeout(properties.ServiceTimeout);
  const requestId = randomUUID();
  const stackId = ctx.local.stackId;
  const pending = awaitResponse(ctx.local.cloudEndpoint, ctx.local.region, stackId, logicalId, requestId);
  const request = {
    RequestType: requestType,
    ServiceToken: token,
    ResponseURL: pending.responseUrl,
    StackId: stackId,
    RequestId: requestId,
    LogicalResourceId: logicalId,
    ...(on.physicalId === undefined ? {} : { PhysicalResourceId: on.physicalId }),
    ResourceType: type,
    ResourceProperties: asSent(properties),
    ...(on.old === undefined ? {} : { OldResourceProperties: asSent(on.old) }),
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([
      pending.outcome,
      invocationEnd(fn, request, timeoutS),
      new Promise<{ timeout: true }>((resolve) => {
        timer = setTimeout(() => resolve({ timeout: true }), timeoutS * 1000);
        timer.unref();
      }),
    ]);
    if ('timeout' in outcome) {
      throw new Error(
        `CloudFormation did not receive a response from your Custom Resource within ${timeoutS} s (ServiceTimeout). ` +
          `(RequestId: ${requestId})`,
      );
    }
    if ('ended' in outcome) throw new Error(`${outcome.ended} (RequestId: ${requestId})`);
    if ('invalid' in outcome) throw new Error(`${outcome.invalid} (RequestId: ${requestId})`);
    const response = outcome.response;
    if (response.Status === 'FAILED') {
      throw Object.assign(
        new Error(
          `Received response status [FAILED] from custom resource. Message returned: ${response.Reason ?? ''} ` +
            `(RequestId: ${requestId})`,
        ),
        { physicalId: response.PhysicalResourceId || `${logicalId}-create-failed-${requestId}` },
      );
    }
    return response;
  } finally {
    pending.cancel();
    if (timer !== undefined) clearTimeout(timer);
  }
}

/**
 * Resolves when the function's invocation ended without a response having come: whatever it did, no response
 * will follow. (A response PUT before the handler returns is received before the invocation ends.)
 */
async function invocationEnd(
  fn: LocalLambdaFunction,
  request: unknown,
  timeoutS: number,
): Promise<{ ended: string }> {
  const outcome = await fn.invoke(request);
  // Let a response received in the same turn win the race.
  await new Promise((resolve) => setImmediate(resolve));
  const what = outcome.ok
    ? `the function ${fn.functionName} returned without sending a response to the ResponseURL`
    : `the function ${fn.functionName} failed (${outcome.error.errorType}: ${outcome.error.errorMessage}) without sending a response to the ResponseURL`;
  return {
    ended: `${what} (AWS would wait out the ServiceTimeout, ${timeoutS} s, before failing the resource)`,
  };
}

function serviceTimeout(value: unknown): number {
  if (value === undefined) return DEFAULT_SERVICE_TIMEOUT_S;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 3600) {
    throw new Error(
      `ServiceTimeout must be a whole number of seconds from 1 to 3600 (got ${JSON.stringify(value)})`,
    );
  }
  return n;
}

/** Data as Fn::GetAtt answers it: strings as they are, anything else as JSON. */
function dataOf(response: CustomResourceResponse): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(response.Data ?? {})) {
    attributes[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return attributes;
}

/** Properties as CloudFormation sends them to a provider: numbers and booleans become strings. */
function asSent(value: unknown): unknown {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(asSent);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asSent(v)]));
  }
  return value;
}
