/**
 * A stack as the local CloudFormation keeps it (its template, parameters, status, events, change sets and the
 * deployer's running stack), what a request asks of it, and how its events are recorded: each resource's, and the
 * stack's own status changes (as `AWS::CloudFormation::Stack` events).
 */

import { randomUUID } from 'node:crypto';
import type { LocalStack } from '../deploy/stack.js';
import type { AssetManifest, ResourceEvent, Template } from '../deploy/types.js';
import type { ResourceChange } from './changes.js';
import { type ParameterInput, parameterValues, type SettledParameter } from './parameters.js';

export interface StackEvent {
  EventId: string;
  StackId: string;
  StackName: string;
  LogicalResourceId: string;
  PhysicalResourceId: string;
  ResourceType: string;
  Timestamp: Date;
  ResourceStatus: string;
  ResourceStatusReason?: string;
  ClientRequestToken?: string;
}

export interface ChangeSet {
  id: string;
  name: string;
  type: 'CREATE' | 'UPDATE';
  status: 'CREATE_COMPLETE' | 'FAILED' | 'DELETE_COMPLETE';
  statusReason?: string;
  executionStatus: 'AVAILABLE' | 'UNAVAILABLE' | 'EXECUTE_IN_PROGRESS' | 'EXECUTE_COMPLETE' | 'OBSOLETE';
  creationTime: Date;
  description?: string;
  template: Template;
  body: string;
  parameters: SettledParameter[];
  capabilities: string[];
  tags: Array<{ Key: string; Value: string }>;
  changes: ResourceChange[];
  source: TemplateSource;
}

/** Where a template's function code can be found besides S3: a cdk.out folder (in-process deployments). */
export interface TemplateSource {
  cdkOut?: string;
  assets?: AssetManifest;
}

export interface StackRecord {
  stackId: string;
  stackName: string;
  status: string;
  statusReason?: string;
  creationTime: Date;
  lastUpdatedTime?: Date;
  deletionTime?: Date;
  description?: string;
  body: string;
  template: Template;
  parameters: SettledParameter[];
  capabilities: string[];
  tags: Array<{ Key: string; Value: string }>;
  disableRollback: boolean;
  events: StackEvent[];
  changeSets: Map<string, ChangeSet>;
  live: LocalStack;
  /** The operation running on it, if any. */
  operation?: Promise<void>;
}

export interface StackRequest {
  stackName: string;
  template: Template;
  body: string;
  parameters?: readonly ParameterInput[];
  capabilities?: readonly string[];
  tags?: ReadonlyArray<{ Key: string; Value: string }>;
  disableRollback?: boolean;
  source?: TemplateSource;
  clientRequestToken?: string;
}

export function recordStackEvent(record: StackRecord, status: string, reason?: string): void {
  record.status = status;
  if (reason === undefined) delete record.statusReason;
  else record.statusReason = reason;
  recordEvent(record, {
    logicalId: record.stackName,
    type: 'AWS::CloudFormation::Stack',
    physicalId: record.stackId,
    status: status as ResourceEvent['status'],
    ...(reason === undefined ? {} : { reason }),
  });
}

export function recordEvent(record: StackRecord, event: ResourceEvent): void {
  // Strictly increasing times: clients order and page events by them.
  const last = record.events.at(-1)?.Timestamp.getTime() ?? 0;
  record.events.push({
    EventId: randomUUID(),
    StackId: record.stackId,
    StackName: record.stackName,
    LogicalResourceId: event.logicalId,
    PhysicalResourceId: event.physicalId,
    ResourceType: event.type,
    Timestamp: new Date(Math.max(Date.now(), last + 1)),
    ResourceStatus: event.status,
    ...(event.reason === undefined ? {} : { ResourceStatusReason: event.reason }),
  });
}

export function adopt(record: StackRecord, request: StackRequest, parameters: SettledParameter[]): void {
  record.body = request.body;
  record.template = request.template;
  record.parameters = parameters;
  record.capabilities = [...(request.capabilities ?? record.capabilities)];
  record.tags = [...(request.tags ?? record.tags)];
  if (request.template.Description !== undefined) record.description = request.template.Description;
  record.disableRollback = request.disableRollback === true;
}

/** Brings the stack's running resources to the request's template, reporting each resource's events. */
export function applyTemplate(
  record: StackRecord,
  request: StackRequest,
  parameters: SettledParameter[],
  onEvent: (event: ResourceEvent) => void,
): Promise<void> {
  return record.live.apply({
    template: request.template,
    parameters: parameterValues(parameters),
    ...(request.source?.cdkOut === undefined ? {} : { cdkOut: request.source.cdkOut }),
    ...(request.source?.assets === undefined ? {} : { assets: request.source.assets }),
    onEvent,
  });
}
