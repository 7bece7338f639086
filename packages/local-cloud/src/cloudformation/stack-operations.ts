/**
 * The local CloudFormation's create and update of a stack, with AWS's status transitions: create
 * CREATE_IN_PROGRESS → CREATE_COMPLETE, or on a failure ROLLBACK_IN_PROGRESS → ROLLBACK_COMPLETE (CREATE_FAILED
 * with DisableRollback); update UPDATE_IN_PROGRESS → UPDATE_COMPLETE_CLEANUP_IN_PROGRESS → UPDATE_COMPLETE, or
 * UPDATE_ROLLBACK_IN_PROGRESS → UPDATE_ROLLBACK_COMPLETE, the stack's template and parameters back as they were.
 */

import type { SettledParameter } from './parameters.js';
import {
  adopt,
  applyTemplate,
  recordEvent,
  recordStackEvent,
  type StackRecord,
  type StackRequest,
} from './stack-record.js';

export async function createStackOperation(
  record: StackRecord,
  request: StackRequest,
  parameters: SettledParameter[],
): Promise<void> {
  adopt(record, request, parameters);
  record.creationTime = new Date();
  recordStackEvent(record, 'CREATE_IN_PROGRESS', 'User Initiated');
  const failed: string[] = [];
  try {
    await applyTemplate(record, request, parameters, (event) => {
      if (event.status === 'CREATE_FAILED') failed.push(event.logicalId);
      if (event.status.startsWith('DELETE') && record.status === 'CREATE_IN_PROGRESS') {
        recordStackEvent(
          record,
          record.disableRollback ? 'CREATE_FAILED' : 'ROLLBACK_IN_PROGRESS',
          rollbackReason(failed),
        );
      }
      recordEvent(record, event);
    });
  } catch (error) {
    const reason = `The following resource(s) failed to create: [${failed.join(', ')}]. ${(error as Error).message}`;
    if (record.status === 'CREATE_IN_PROGRESS') recordStackEvent(record, 'ROLLBACK_IN_PROGRESS', reason);
    recordStackEvent(record, 'ROLLBACK_COMPLETE', reason);
    return;
  }
  recordStackEvent(record, 'CREATE_COMPLETE');
}

export async function updateStackOperation(
  record: StackRecord,
  request: StackRequest,
  parameters: SettledParameter[],
): Promise<void> {
  const before = { body: record.body, template: record.template, parameters: record.parameters };
  adopt(record, request, parameters);
  record.lastUpdatedTime = new Date();
  recordStackEvent(record, 'UPDATE_IN_PROGRESS', 'User Initiated');
  const failed: string[] = [];
  try {
    await applyTemplate(record, request, parameters, (event) => {
      if (event.status.endsWith('_FAILED')) failed.push(event.logicalId);
      if (event.status.startsWith('DELETE') && record.status === 'UPDATE_IN_PROGRESS') {
        recordStackEvent(record, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
      }
      recordEvent(record, event);
    });
  } catch (error) {
    const reason = `The following resource(s) failed to update: [${failed.join(', ')}]. ${(error as Error).message}`;
    record.body = before.body;
    record.template = before.template;
    record.parameters = before.parameters;
    recordStackEvent(record, 'UPDATE_ROLLBACK_IN_PROGRESS', reason);
    recordStackEvent(record, 'UPDATE_ROLLBACK_COMPLETE');
    return;
  }
  recordStackEvent(record, 'UPDATE_COMPLETE');
}

function rollbackReason(failed: string[]): string {
  return `The following resource(s) failed to create: [${failed.join(', ')}]. Rollback requested by user.`;
}
