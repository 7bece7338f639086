/**
 * Lambda entry point of the spec guard: the provider of the pipeline's `Custom::StreamfeaturesSpecGuard` resource
 * (lib/spec-guard.ts). It decides from the request alone (decide.ts) and PUTs the answer to the ResponseURL, the
 * presigned URL CloudFormation waits on. It needs no AWS permission and reads nothing beside the request.
 *
 * Whatever goes wrong, it answers: a provider that does not leaves CloudFormation waiting for an hour.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { decideSpecGuard, type SpecGuardDecision } from './decide.js';

export async function handler(event: CloudFormationCustomResourceEvent): Promise<void> {
  let decision: SpecGuardDecision;
  try {
    decision = decideSpecGuard({
      requestType: event.RequestType,
      ...('PhysicalResourceId' in event ? { physicalResourceId: event.PhysicalResourceId } : {}),
      properties: event.ResourceProperties,
      ...('OldResourceProperties' in event ? { oldProperties: event.OldResourceProperties } : {}),
    });
  } catch (error) {
    const physicalResourceId =
      'PhysicalResourceId' in event ? event.PhysicalResourceId : 'streamfeatures-spec-none';
    decision =
      event.RequestType === 'Delete'
        ? { status: 'SUCCESS', physicalResourceId, note: `deleted (${(error as Error).message})` }
        : {
            status: 'FAILED',
            physicalResourceId,
            reason: `the spec guard failed: ${(error as Error).message}`,
          };
  }
  console.log(
    JSON.stringify({
      level: decision.status === 'SUCCESS' ? 'INFO' : 'WARN',
      message: `spec guard ${event.RequestType}: ${decision.status}`,
      detail: decision.status === 'SUCCESS' ? decision.note : decision.reason,
      physicalResourceId: decision.physicalResourceId,
      requestId: event.RequestId,
    }),
  );
  const body = JSON.stringify({
    Status: decision.status,
    ...(decision.status === 'FAILED' ? { Reason: decision.reason } : {}),
    PhysicalResourceId: decision.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  await putResponse(event.ResponseURL, body);
}

/** PUTs the response, retrying a failed attempt a few times (the URL stays valid for hours). */
async function putResponse(url: string, body: string): Promise<void> {
  let last = '';
  for (let attempt = 1; attempt <= 4; attempt++) {
    try {
      // The presigned URL signs the host only; an empty content type is what S3 expects of it.
      const response = await fetch(url, { method: 'PUT', body, headers: { 'content-type': '' } });
      if (response.ok) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
  }
  throw new Error(`could not send the response to CloudFormation: ${last}`);
}
