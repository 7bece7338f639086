/** CloudFormation's actions: a request's fields in, the result's shape out (serialized by query-protocol.ts). */

import type { S3Client } from '@aws-sdk/client-s3';
import type { Template } from '../deploy/types.js';
import type { ParameterInput } from './parameters.js';
import { CloudFormationError } from './query-protocol.js';
import type { CloudFormationService, StackRecord, StackRequest } from './service.js';
import { loadTemplate, parseTemplate } from './template-source.js';

type Fields = Record<string, unknown>;

export const ACTIONS = [
  'CreateStack',
  'UpdateStack',
  'DeleteStack',
  'DescribeStacks',
  'ListStacks',
  'DescribeStackEvents',
  'DescribeStackResources',
  'DescribeStackResource',
  'ListStackResources',
  'GetTemplate',
  'GetTemplateSummary',
  'ValidateTemplate',
  'CreateChangeSet',
  'DescribeChangeSet',
  'ExecuteChangeSet',
  'DeleteChangeSet',
  'ListChangeSets',
  'ListExports',
] as const;

const PAGE = 100;

function text(fields: Fields, key: string): string | undefined {
  const value = fields[key];
  return typeof value === 'string' ? value : undefined;
}

function required(fields: Fields, key: string): string {
  const value = text(fields, key);
  if (value === undefined || value === '') {
    throw new CloudFormationError(
      `1 validation error detected: Value null at '${key[0]?.toLowerCase()}${key.slice(1)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function list<T>(fields: Fields, key: string): T[] {
  const value = fields[key];
  return Array.isArray(value) ? (value.filter((v) => v !== undefined) as T[]) : [];
}

function page<T>(items: T[], fields: Fields): { items: T[]; NextToken?: string } {
  const start = Number(text(fields, 'NextToken') ?? 0) || 0;
  const slice = items.slice(start, start + PAGE);
  return start + PAGE < items.length ? { items: slice, NextToken: String(start + PAGE) } : { items: slice };
}

function stackOut(record: StackRecord): Fields {
  const outputs = record.live.outputs;
  const declared = record.template.Outputs ?? {};
  return {
    StackId: record.stackId,
    StackName: record.stackName,
    Description: record.description,
    Parameters: record.parameters.map((p) => ({
      ParameterKey: p.key,
      ParameterValue: p.value,
      ...(p.resolved === undefined ? {} : { ResolvedValue: p.resolved }),
    })),
    CreationTime: record.creationTime,
    LastUpdatedTime: record.lastUpdatedTime,
    DeletionTime: record.deletionTime,
    StackStatus: record.status,
    StackStatusReason: record.statusReason,
    DisableRollback: record.disableRollback,
    NotificationARNs: [],
    Capabilities: record.capabilities,
    Outputs: Object.entries(outputs).map(([key, value]) => ({
      OutputKey: key,
      OutputValue: value,
      Description: declared[key]?.Description,
    })),
    Tags: record.tags,
    EnableTerminationProtection: false,
    DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
  };
}

function resourcesOf(record: StackRecord): Array<Fields & { LogicalResourceId: string }> {
  return [...record.live.resources.entries()]
    .filter(([, r]) => r.physicalId !== '' || r.status === 'created')
    .map(([id, r]) => ({
      LogicalResourceId: id,
      PhysicalResourceId: r.physicalId,
      ResourceType: r.type,
      LastUpdatedTimestamp: record.lastUpdatedTime ?? record.creationTime,
      ResourceStatus: record.lastUpdatedTime ? 'UPDATE_COMPLETE' : 'CREATE_COMPLETE',
      ...(r.reason === undefined ? {} : { ResourceStatusReason: r.reason }),
      DriftInformation: { StackResourceDriftStatus: 'NOT_CHECKED' },
    }));
}

function templateSummary(template: Template): Fields {
  const types = [...new Set(Object.values(template.Resources ?? {}).map((r) => r.Type))];
  return {
    Parameters: Object.entries(template.Parameters ?? {}).map(([key, p]) => ({
      ParameterKey: key,
      DefaultValue: p.Default === undefined ? undefined : String(p.Default),
      ParameterType: p.Type ?? 'String',
      NoEcho: p.NoEcho === true || p.NoEcho === 'true',
      Description: p.Description,
      ParameterConstraints: {},
    })),
    Description: template.Description,
    Capabilities: types.some((t) => t.startsWith('AWS::IAM::'))
      ? ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM']
      : [],
    CapabilitiesReason: types.some((t) => t.startsWith('AWS::IAM::'))
      ? 'The template contains IAM resources'
      : undefined,
    ResourceTypes: types,
    Version: template.AWSTemplateFormatVersion ?? '2010-09-09',
    DeclaredTransforms: [],
    ResourceIdentifierSummaries: [],
  };
}

async function stackRequest(fields: Fields, s3: S3Client): Promise<StackRequest> {
  const { body, template } = await loadTemplate(fields, s3);
  const token = text(fields, 'ClientRequestToken');
  return {
    stackName: required(fields, 'StackName'),
    template,
    body,
    parameters: list<ParameterInput>(fields, 'Parameters'),
    capabilities: list<string>(fields, 'Capabilities'),
    tags: list<{ Key: string; Value: string }>(fields, 'Tags'),
    disableRollback: text(fields, 'DisableRollback') === 'true' || text(fields, 'OnFailure') === 'DO_NOTHING',
    ...(token === undefined ? {} : { clientRequestToken: token }),
  };
}

/** Answers one action; throws CloudFormationError for what CloudFormation answers as an error. */
export async function cloudFormationAction(
  service: CloudFormationService,
  s3: S3Client,
  action: string,
  fields: Fields,
): Promise<unknown> {
  switch (action) {
    case 'CreateStack': {
      const record = service.createStack(await stackRequest(fields, s3));
      return { StackId: record.stackId };
    }
    case 'UpdateStack': {
      const usePrevious = text(fields, 'UsePreviousTemplate') === 'true';
      const name = required(fields, 'StackName');
      const request = usePrevious
        ? { ...(await stackRequest({ ...fields, TemplateBody: service.get(name).body }, s3)) }
        : await stackRequest(fields, s3);
      const record = service.updateStack(request);
      return { StackId: record.stackId };
    }
    case 'DeleteStack':
      service.deleteStack(required(fields, 'StackName'));
      return undefined;
    case 'DescribeStacks': {
      const name = text(fields, 'StackName');
      const records =
        name === undefined
          ? service.list().filter((s) => s.status !== 'DELETE_COMPLETE')
          : [service.get(name)];
      const { items, NextToken } = page(records, fields);
      return { Stacks: items.map(stackOut), NextToken };
    }
    case 'ListStacks': {
      const filter = list<string>(fields, 'StackStatusFilter');
      const records = service.list().filter((s) => filter.length === 0 || filter.includes(s.status));
      const { items, NextToken } = page(records, fields);
      return {
        StackSummaries: items.map((r) => ({
          StackId: r.stackId,
          StackName: r.stackName,
          TemplateDescription: r.description,
          CreationTime: r.creationTime,
          LastUpdatedTime: r.lastUpdatedTime,
          DeletionTime: r.deletionTime,
          StackStatus: r.status,
          StackStatusReason: r.statusReason,
          DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
        })),
        NextToken,
      };
    }
    case 'DescribeStackEvents': {
      const record = service.get(required(fields, 'StackName'));
      const { items, NextToken } = page([...record.events].reverse(), fields);
      return { StackEvents: items, NextToken };
    }
    case 'DescribeStackResources': {
      const record = service.get(required(fields, 'StackName'));
      const logicalId = text(fields, 'LogicalResourceId');
      const resources = resourcesOf(record)
        .filter((r) => logicalId === undefined || r.LogicalResourceId === logicalId)
        .map(({ LastUpdatedTimestamp, ...r }) => ({
          ...r,
          StackName: record.stackName,
          StackId: record.stackId,
          Timestamp: LastUpdatedTimestamp,
        }));
      return { StackResources: resources };
    }
    case 'DescribeStackResource': {
      const record = service.get(required(fields, 'StackName'));
      const logicalId = required(fields, 'LogicalResourceId');
      const found = resourcesOf(record).find((r) => r.LogicalResourceId === logicalId);
      if (found === undefined)
        throw new CloudFormationError(`Resource ${logicalId} does not exist for stack ${record.stackName}`);
      return { StackResourceDetail: { ...found, StackName: record.stackName, StackId: record.stackId } };
    }
    case 'ListStackResources': {
      const record = service.get(required(fields, 'StackName'));
      const { items, NextToken } = page(resourcesOf(record), fields);
      return { StackResourceSummaries: items, NextToken };
    }
    case 'GetTemplate': {
      const changeSetName = text(fields, 'ChangeSetName');
      if (changeSetName !== undefined) {
        const { changeSet } = service.changeSet(changeSetName, text(fields, 'StackName'));
        return { TemplateBody: changeSet.body, StagesAvailable: ['Original', 'Processed'] };
      }
      const record = service.get(required(fields, 'StackName'));
      return { TemplateBody: record.body, StagesAvailable: ['Original', 'Processed'] };
    }
    case 'GetTemplateSummary': {
      const name = text(fields, 'StackName');
      if (name !== undefined && fields.TemplateBody === undefined && fields.TemplateURL === undefined) {
        return templateSummary(service.get(name).template);
      }
      return templateSummary((await loadTemplate(fields, s3)).template);
    }
    case 'ValidateTemplate': {
      const template = (await loadTemplate(fields, s3)).template;
      const summary = templateSummary(template);
      return {
        Parameters: Object.entries(template.Parameters ?? {}).map(([key, p]) => ({
          ParameterKey: key,
          DefaultValue: p.Default === undefined ? undefined : String(p.Default),
          NoEcho: p.NoEcho === true || p.NoEcho === 'true',
          Description: p.Description,
        })),
        Description: template.Description,
        Capabilities: summary.Capabilities,
        CapabilitiesReason: summary.CapabilitiesReason,
        DeclaredTransforms: [],
      };
    }
    case 'CreateChangeSet': {
      const request = await stackRequest(fields, s3);
      const changeSetType = text(fields, 'ChangeSetType');
      const description = text(fields, 'Description');
      const changeSet = service.createChangeSet({
        ...request,
        changeSetName: required(fields, 'ChangeSetName'),
        ...(changeSetType === undefined ? {} : { changeSetType }),
        ...(description === undefined ? {} : { description }),
      });
      return { Id: changeSet.id, StackId: service.get(request.stackName).stackId };
    }
    case 'DescribeChangeSet': {
      const { record, changeSet } = service.changeSet(
        required(fields, 'ChangeSetName'),
        text(fields, 'StackName'),
      );
      return {
        ChangeSetName: changeSet.name,
        ChangeSetId: changeSet.id,
        StackId: record.stackId,
        StackName: record.stackName,
        Description: changeSet.description,
        Parameters: changeSet.parameters.map((p) => ({
          ParameterKey: p.key,
          ParameterValue: p.value,
          ...(p.resolved === undefined ? {} : { ResolvedValue: p.resolved }),
        })),
        CreationTime: changeSet.creationTime,
        ExecutionStatus: changeSet.executionStatus,
        Status: changeSet.status,
        StatusReason: changeSet.statusReason,
        NotificationARNs: [],
        Capabilities: changeSet.capabilities,
        Tags: changeSet.tags,
        Changes: changeSet.changes,
        IncludeNestedStacks: false,
      };
    }
    case 'ExecuteChangeSet':
      service.executeChangeSet(required(fields, 'ChangeSetName'), text(fields, 'StackName'));
      return {};
    case 'DeleteChangeSet':
      service.deleteChangeSet(required(fields, 'ChangeSetName'), text(fields, 'StackName'));
      return {};
    case 'ListChangeSets': {
      const record = service.get(required(fields, 'StackName'));
      return {
        Summaries: [...record.changeSets.values()].map((c) => ({
          StackId: record.stackId,
          StackName: record.stackName,
          ChangeSetId: c.id,
          ChangeSetName: c.name,
          ExecutionStatus: c.executionStatus,
          Status: c.status,
          StatusReason: c.statusReason,
          CreationTime: c.creationTime,
          Description: c.description,
        })),
      };
    }
    case 'ListExports':
      return { Exports: [] };
    default:
      throw new CloudFormationError(
        `The local CloudFormation does not emulate ${action} (it answers ${ACTIONS.join(', ')}).`,
        'InvalidAction',
      );
  }
}

export { parseTemplate };
