/**
 * The local CloudFormation: stacks, change sets and stack events over the deployer (src/deploy/stack.ts), as
 * the CDK CLI and the AWS CLI drive them. Operations run in the background, as on AWS: CreateStack answers at
 * once with the stack in CREATE_IN_PROGRESS, and the caller polls DescribeStacks / DescribeStackEvents.
 *
 * Status transitions (create and update: stack-operations.ts): create CREATE_IN_PROGRESS → CREATE_COMPLETE, or on a failure ROLLBACK_IN_PROGRESS →
 * ROLLBACK_COMPLETE (what was created is deleted; CREATE_FAILED with DisableRollback); update UPDATE_IN_PROGRESS →
 * UPDATE_COMPLETE_CLEANUP_IN_PROGRESS → UPDATE_COMPLETE, or UPDATE_ROLLBACK_IN_PROGRESS →
 * UPDATE_ROLLBACK_COMPLETE; delete DELETE_IN_PROGRESS → DELETE_COMPLETE (DELETE_FAILED naming what stayed). A
 * change set of type CREATE makes the stack REVIEW_IN_PROGRESS until it is executed.
 */

import { randomUUID } from 'node:crypto';
import { DeployEngine } from '../deploy/engine.js';
import { LocalStack } from '../deploy/stack.js';
import type { Deployment, EngineOptions } from '../deploy/types.js';
import { changesBetween } from './changes.js';
import { checkRules, parameterValues, type SettledParameter, settleParameters } from './parameters.js';
import { CloudFormationError } from './query-protocol.js';
import { createStackOperation, updateStackOperation } from './stack-operations.js';
import {
  type ChangeSet,
  recordEvent,
  recordStackEvent,
  type StackEvent,
  type StackRecord,
  type StackRequest,
  type TemplateSource,
} from './stack-record.js';

export type { ChangeSet, StackEvent, StackRecord, StackRequest, TemplateSource };

const STABLE = /(_COMPLETE|_FAILED)$|^REVIEW_IN_PROGRESS$/;
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

export class CloudFormationService {
  private readonly engine: DeployEngine;
  /** Live (and REVIEW_IN_PROGRESS) stacks by name. */
  private readonly stacks = new Map<string, StackRecord>();
  /** Deleted stacks, for ListStacks and DescribeStacks by stack id. */
  private readonly deleted: StackRecord[] = [];
  private stopping: Promise<void> | undefined;

  constructor(readonly options: EngineOptions) {
    this.engine = new DeployEngine(options);
  }

  /** The stacks deployed and running (their functions and mappings), for other services built over them. */
  *deployments(): Iterable<Deployment> {
    for (const record of this.stacks.values()) if (record.live.template !== undefined) yield record.live;
  }

  /** A stack by name or stack id (deleted ones by id only, as on AWS). */
  find(nameOrId: string): StackRecord | undefined {
    const live = this.stacks.get(nameOrId) ?? [...this.stacks.values()].find((s) => s.stackId === nameOrId);
    return live ?? this.deleted.find((s) => s.stackId === nameOrId);
  }

  /** The stack, or the ValidationError CloudFormation answers for a stack that does not exist. */
  get(nameOrId: string): StackRecord {
    const found = this.find(nameOrId);
    if (found === undefined) throw new CloudFormationError(`Stack with id ${nameOrId} does not exist`);
    return found;
  }

  list(): StackRecord[] {
    return [...this.stacks.values(), ...this.deleted];
  }

  createStack(request: StackRequest): StackRecord {
    if (
      this.stacks.has(request.stackName) &&
      this.stacks.get(request.stackName)?.status !== 'REVIEW_IN_PROGRESS'
    ) {
      throw new CloudFormationError(`Stack [${request.stackName}] already exists`, 'AlreadyExistsException');
    }
    const record = this.stacks.get(request.stackName) ?? this.newRecord(request);
    const parameters = this.settle(record, request);
    this.run(record, () => createStackOperation(record, request, parameters));
    return record;
  }

  updateStack(request: StackRequest): StackRecord {
    const record = this.get(request.stackName);
    this.assertUpdatable(record);
    const parameters = this.settle(record, request);
    if (record.body === request.body && sameParameters(record.parameters, parameters)) {
      throw new CloudFormationError('No updates are to be performed.');
    }
    this.run(record, () => updateStackOperation(record, request, parameters));
    return record;
  }

  deleteStack(nameOrId: string): void {
    const record = this.find(nameOrId);
    if (record === undefined || record.status === 'DELETE_COMPLETE') return;
    if (record.operation !== undefined && record.status === 'DELETE_IN_PROGRESS') return;
    if (record.operation !== undefined) {
      throw new CloudFormationError(
        `Stack ${record.stackName} is in ${record.status} state and can not be deleted now.`,
      );
    }
    this.run(record, () => this.delete(record));
  }

  createChangeSet(
    request: StackRequest & { changeSetName: string; changeSetType?: string; description?: string },
  ): ChangeSet {
    const type = request.changeSetType === 'CREATE' ? 'CREATE' : 'UPDATE';
    let record = this.stacks.get(request.stackName);
    if (type === 'CREATE') {
      if (record !== undefined && record.status !== 'REVIEW_IN_PROGRESS') {
        throw new CloudFormationError(
          `Stack [${request.stackName}] already exists and cannot be created again with the changeSet [${request.changeSetName}].`,
          'AlreadyExistsException',
        );
      }
      record ??= this.newRecord(request);
      this.stacks.set(record.stackName, record);
    } else {
      if (record === undefined || record.status === 'REVIEW_IN_PROGRESS') {
        throw new CloudFormationError(`Stack [${request.stackName}] does not exist`);
      }
      this.assertUpdatable(record);
    }
    const parameters = this.settle(record, request);
    const deployed = record.live.template;
    const physicalIds = new Map([...record.live.resources].map(([id, r]) => [id, r.physicalId]));
    const changes = changesBetween(deployed, request.template, physicalIds);
    const unchanged =
      type === 'UPDATE' &&
      changes.length === 0 &&
      sameParameters(record.parameters, parameters) &&
      JSON.stringify(deployed?.Outputs) === JSON.stringify(request.template.Outputs);
    const changeSet: ChangeSet = {
      id: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:changeSet/${request.changeSetName}/${randomUUID()}`,
      name: request.changeSetName,
      type,
      status: unchanged ? 'FAILED' : 'CREATE_COMPLETE',
      ...(unchanged
        ? {
            statusReason:
              "The submitted information didn't contain changes. Submit different information to create a change set.",
          }
        : {}),
      executionStatus: unchanged ? 'UNAVAILABLE' : 'AVAILABLE',
      creationTime: new Date(),
      ...(request.description === undefined ? {} : { description: request.description }),
      template: request.template,
      body: request.body,
      parameters,
      capabilities: [...(request.capabilities ?? [])],
      tags: [...(request.tags ?? [])],
      changes,
      source: request.source ?? {},
    };
    record.changeSets.set(changeSet.name, changeSet);
    return changeSet;
  }

  changeSet(name: string, stackName?: string): { record: StackRecord; changeSet: ChangeSet } {
    for (const record of stackName === undefined ? this.list() : [this.get(stackName)]) {
      for (const changeSet of record.changeSets.values()) {
        if (changeSet.name === name || changeSet.id === name) return { record, changeSet };
      }
    }
    throw new CloudFormationError(`ChangeSet [${name}] does not exist`, 'ChangeSetNotFound', 404);
  }

  executeChangeSet(name: string, stackName?: string): void {
    const { record, changeSet } = this.changeSet(name, stackName);
    if (changeSet.executionStatus !== 'AVAILABLE') {
      throw new CloudFormationError(
        `ChangeSet [${changeSet.id}] cannot be executed in its current execution status of [${changeSet.executionStatus}]`,
        'InvalidChangeSetStatus',
      );
    }
    changeSet.executionStatus = 'EXECUTE_IN_PROGRESS';
    const request: StackRequest = {
      stackName: record.stackName,
      template: changeSet.template,
      body: changeSet.body,
      capabilities: changeSet.capabilities,
      tags: changeSet.tags,
      source: changeSet.source,
    };
    const done = () => {
      changeSet.executionStatus = 'EXECUTE_COMPLETE';
      for (const other of record.changeSets.values())
        if (other !== changeSet && other.executionStatus === 'AVAILABLE') other.executionStatus = 'OBSOLETE';
    };
    if (changeSet.type === 'CREATE')
      this.run(record, () => createStackOperation(record, request, changeSet.parameters).finally(done));
    else this.run(record, () => updateStackOperation(record, request, changeSet.parameters).finally(done));
  }

  /** As on AWS, deleting a change set that does not exist (of a stack that does) succeeds. */
  deleteChangeSet(name: string, stackName?: string): void {
    if (stackName !== undefined) this.get(stackName);
    let found: { record: StackRecord; changeSet: ChangeSet };
    try {
      found = this.changeSet(name, stackName);
    } catch {
      return;
    }
    const { record, changeSet } = found;
    if (changeSet.executionStatus === 'EXECUTE_IN_PROGRESS') {
      throw new CloudFormationError(
        `ChangeSet [${changeSet.id}] is executing and cannot be deleted`,
        'InvalidChangeSetStatus',
      );
    }
    record.changeSets.delete(changeSet.name);
  }

  /** Resolves once the stack's current operation has finished. */
  async settled(nameOrId: string): Promise<StackRecord> {
    const record = this.get(nameOrId);
    while (record.operation !== undefined) await record.operation.catch(() => undefined);
    return record;
  }

  /**
   * Creates or updates a stack in this process and waits for it, as `cdk deploy` would: what the demo and the
   * in-process tests deploy through. Throws with the stack's status reason when it does not complete.
   */
  async deploy(request: StackRequest): Promise<Deployment> {
    const existing = this.stacks.get(request.stackName);
    if (existing !== undefined && existing.status === 'ROLLBACK_COMPLETE') {
      this.deleteStack(request.stackName);
      await this.settled(existing.stackId);
    }
    const current = this.stacks.get(request.stackName);
    const live = current !== undefined && current.status !== 'REVIEW_IN_PROGRESS';
    let record: StackRecord;
    try {
      record = live ? this.updateStack(request) : this.createStack(request);
    } catch (error) {
      // The same template and parameters again: nothing to do, as `cdk deploy` reports it.
      if (live && current !== undefined && /No updates are to be performed/.test((error as Error).message)) {
        return current.live;
      }
      throw error;
    }
    await this.settled(record.stackId);
    if (!/^(CREATE|UPDATE)_COMPLETE$/.test(record.status)) {
      throw new Error(
        `Deploying ${request.stackName} failed (${record.status}): ${record.statusReason ?? 'see its stack events'}`,
      );
    }
    return record.live;
  }

  /** Stops what the stacks run in this process (their cloud resources stay). Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const record of this.stacks.values()) await record.operation?.catch(() => undefined);
      await Promise.allSettled([...this.stacks.values()].map((record) => record.live.stop()));
      this.engine.close();
    })();
    return this.stopping;
  }

  // ------------------------------------------------------------------------------------------------------

  private newRecord(request: StackRequest): StackRecord {
    const stackId = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${request.stackName}/${randomUUID()}`;
    const record: StackRecord = {
      stackId,
      stackName: request.stackName,
      status: 'REVIEW_IN_PROGRESS',
      creationTime: new Date(),
      body: request.body,
      template: request.template,
      parameters: [],
      capabilities: [],
      tags: [],
      disableRollback: false,
      events: [],
      changeSets: new Map(),
      live: new LocalStack(this.engine, request.stackName, stackId),
    };
    this.stacks.set(record.stackName, record);
    return record;
  }

  private settle(record: StackRecord, request: StackRequest): SettledParameter[] {
    const parameters = settleParameters(
      request.template,
      request.parameters ?? [],
      record.parameters,
      this.options.ssm,
    );
    checkRules(request.template, request.stackName, parameterValues(parameters));
    return parameters;
  }

  private assertUpdatable(record: StackRecord): void {
    if (record.operation !== undefined || !STABLE.test(record.status)) {
      throw new CloudFormationError(
        `Stack:${record.stackId} is in ${record.status} state and can not be updated.`,
      );
    }
    if (
      record.status === 'ROLLBACK_COMPLETE' ||
      record.status === 'CREATE_FAILED' ||
      record.status === 'DELETE_FAILED' ||
      record.status === 'REVIEW_IN_PROGRESS'
    ) {
      throw new CloudFormationError(
        `Stack:${record.stackId} is in ${record.status} state and can not be updated.`,
      );
    }
  }

  private run(record: StackRecord, operation: () => Promise<void>): void {
    const running = (async () => {
      await Promise.resolve();
      await operation();
    })();
    record.operation = running;
    void running
      .catch(() => undefined)
      .finally(() => {
        if (record.operation === running) delete record.operation;
      });
  }

  private async delete(record: StackRecord): Promise<void> {
    recordStackEvent(record, 'DELETE_IN_PROGRESS', 'User Initiated');
    try {
      await record.live.destroy((event) => recordEvent(record, event));
    } catch (error) {
      recordStackEvent(record, 'DELETE_FAILED', (error as Error).message);
      return;
    }
    record.deletionTime = new Date();
    recordStackEvent(record, 'DELETE_COMPLETE');
    if (this.stacks.get(record.stackName) === record) this.stacks.delete(record.stackName);
    this.deleted.push(record);
  }
}

function sameParameters(a: readonly SettledParameter[], b: readonly SettledParameter[]): boolean {
  const text = (list: readonly SettledParameter[]) =>
    JSON.stringify([...list].sort((x, y) => x.key.localeCompare(y.key)));
  return text(a) === text(b);
}
