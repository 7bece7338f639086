/**
 * One stack on the local cloud, as CloudFormation runs it: `apply` creates it, or updates it to a new template
 * (only what changed: a resource whose type and resolved properties are the same is kept as it is; a changed one
 * is updated in place under the same physical id; an added one is created; a dropped one deleted), and `destroy`
 * deletes it in reverse dependency order, honouring DeletionPolicy Retain. A failed create or update rolls back:
 * what it created is deleted and what it updated runs again as it was. Each resource's steps are reported as
 * stack events (`onEvent`).
 */

import type { KinesisEventSourceMapping } from '../event-source-mapping.js';
import type { LocalLambdaFunction } from '../lambda-runtime.js';
import { creatorFor, type DeployEngine } from './engine.js';
import { synthesizedAttributes } from './naming.js';
import { deploymentWaves } from './order.js';
import { recordedReason } from './recorded-types.js';
import type { Created, CreatorContext } from './resources/context.js';
import { type ApplyInput, creatorContext } from './stack-context.js';
import { runHook } from './stack-hook.js';
import { removeInOrder } from './stack-removal.js';
import {
  type Handle,
  handleOf,
  reasonOf,
  resolvedProperties,
  type Step,
  sameValue,
  supportedTypes,
} from './stack-steps.js';
import type { DeployedResource, Deployment, ResourceEvent, Template, TemplateResource } from './types.js';

export class LocalStack implements Deployment {
  readonly resources = new Map<string, DeployedResource>();
  readonly functions = new Map<string, LocalLambdaFunction>();
  readonly mappings = new Map<string, KinesisEventSourceMapping>();
  readonly warnings: string[] = [];
  outputs: Record<string, string> = {};
  deployMs = 0;
  /** The template deployed, and its parameters' values. */
  template: Template | undefined;
  parameters: Record<string, string> = {};
  private readonly handles = new Map<string, Handle>();
  readonly functionRoles = new Map<LocalLambdaFunction, string>();
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly engine: DeployEngine,
    readonly stackName: string,
    readonly stackId: string,
  ) {}

  get region(): string {
    return this.engine.region;
  }

  get accountId(): string {
    return this.engine.accountId;
  }

  /** Creates the stack, or updates it to `input.template`. Throws once rolled back, naming what failed. */
  async apply(input: ApplyInput): Promise<void> {
    const started = performance.now();
    const previous = new Map(this.resources);
    const previousHandles = new Map(this.handles);
    const previousFunctions = new Map(this.functions);
    const previousMappings = new Map(this.mappings);
    const next = new Map<string, DeployedResource>();
    const steps: Step[] = [];
    const warnings: string[] = [];
    const warn = (message: string) => {
      if (!warnings.includes(message)) warnings.push(message);
    };
    const ctx = creatorContext(this.engine, this, input, next, warn);
    const templateResources = input.template.Resources ?? {};
    const outputs: Record<string, string> = {};
    try {
      for (const wave of deploymentWaves(templateResources)) {
        const results = await Promise.allSettled(
          wave.map((id) =>
            this.applyOne(ctx, id, templateResources[id] as TemplateResource, previous, steps, input),
          ),
        );
        const failures = results.flatMap((result, i) =>
          result.status === 'rejected'
            ? [`${wave[i]} (${templateResources[wave[i] as string]?.Type}): ${reasonOf(result.reason)}`]
            : [],
        );
        if (failures.length > 0) throw new Error(failures.join('\n'));
      }
      for (const [name, output] of Object.entries(input.template.Outputs ?? {})) {
        if (output.Condition !== undefined && !ctx.resolver.condition(output.Condition)) continue;
        let value: unknown;
        try {
          value = ctx.resolver.resolve(output.Value);
        } catch (error) {
          throw new Error(`output ${name}: ${(error as Error).message}`);
        }
        outputs[name] =
          typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : String(value);
      }
    } catch (error) {
      await this.rollback(steps, previous, previousHandles, previousFunctions, previousMappings, input);
      throw error;
    }

    // Done: what the update replaced stops, and what the new template dropped is deleted.
    for (const step of steps) {
      if (step.kind !== 'updated' || step.oldStopped) continue;
      await previousHandles
        .get(step.logicalId)
        ?.stop?.()
        .catch(() => undefined);
    }
    // What an update replaced is deleted (a custom resource answered with another physical id).
    for (const step of steps) await step.handle.cleanup?.().catch(() => undefined);
    // Dropped: gone from the template, or its Condition turned false.
    const dropped = [...previous.keys()].filter(
      (id) => !next.has(id) || (next.get(id)?.physicalId === '' && previous.get(id)?.physicalId !== ''),
    );
    const oldTemplate = this.template;
    if (oldTemplate !== undefined && dropped.length > 0) {
      await removeInOrder(oldTemplate, dropped, previous, previousHandles, input.onEvent);
    }
    this.resources.clear();
    for (const [id, resource] of next) this.resources.set(id, resource);
    this.handles.clear();
    for (const [id, resource] of next) {
      const handle = steps.find((s) => s.logicalId === id)?.handle ?? previousHandles.get(id);
      if (handle !== undefined && resource.status === 'created') this.handles.set(id, handle);
    }
    this.outputs = outputs;
    this.warnings.splice(0, this.warnings.length, ...warnings);
    this.template = input.template;
    this.parameters = input.parameters;
    this.deployMs = Math.round(performance.now() - started);
  }

  /** Deletes every resource, in reverse dependency order. Throws naming the resources that could not be deleted. */
  async destroy(onEvent?: (event: ResourceEvent) => void): Promise<void> {
    if (this.template === undefined) return;
    const ids = [...this.resources.keys()];
    await removeInOrder(this.template, ids, new Map(this.resources), new Map(this.handles), onEvent);
    this.resources.clear();
    this.handles.clear();
    this.functions.clear();
    this.mappings.clear();
    this.outputs = {};
    this.template = undefined;
  }

  /** Stops what runs in this process (mappings first, then functions and hooks); the cloud's resources stay. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const handles = [...this.handles.entries()];
      const mappingIds = new Set(this.mappings.keys());
      await Promise.allSettled(handles.filter(([id]) => mappingIds.has(id)).map(([, h]) => h.stop?.()));
      for (const [id, handle] of handles.reverse()) {
        if (!mappingIds.has(id)) await handle.stop?.().catch(() => undefined);
      }
    })();
    return this.stopping;
  }

  functionNamed(nameOrArn: string): LocalLambdaFunction | undefined {
    const direct = this.functions.get(nameOrArn);
    if (direct) return direct;
    // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>], or <account>:function:<name>.
    const name = /(?:^|:)function:([^:]+)/.exec(nameOrArn)?.[1] ?? nameOrArn;
    for (const fn of this.functions.values()) if (fn.functionName === name) return fn;
    return undefined;
  }

  private async applyOne(
    ctx: CreatorContext,
    logicalId: string,
    resource: TemplateResource,
    previous: Map<string, DeployedResource>,
    steps: Step[],
    input: ApplyInput,
  ): Promise<void> {
    const t0 = performance.now();
    const type = resource.Type;
    const old = previous.get(logicalId);
    const emit = (status: ResourceEvent['status'], physicalId: string, reason?: string) =>
      input.onEvent?.({ logicalId, type, physicalId, status, ...(reason === undefined ? {} : { reason }) });
    const record = (entry: Omit<DeployedResource, 'type' | 'durationMs'>) => {
      ctx.resources.set(logicalId, { type, durationMs: Math.round(performance.now() - t0), ...entry });
    };
    if (resource.Condition !== undefined && !ctx.resolver.condition(resource.Condition)) {
      record({
        physicalId: '',
        status: 'skipped',
        reason: `condition ${resource.Condition} is false`,
        attributes: {},
        notes: [],
      });
      return;
    }
    const hook = this.engine.options.hooks?.[type];
    const creator = creatorFor(type);
    const recorded = hook === undefined && creator === undefined ? recordedReason(type) : undefined;
    if (hook === undefined && creator === undefined && recorded === undefined) {
      emit('CREATE_FAILED', '', `Resource type ${type} is not supported by the local cloud`);
      throw new Error(
        `resource type ${type} is not supported by the local cloud (it creates ${supportedTypes(this.engine)})`,
      );
    }
    const properties = resolvedProperties(ctx, resource, recorded !== undefined);
    const same = old !== undefined && old.type === type && sameValue(old.properties, properties);
    if (same && old !== undefined) {
      // Unchanged: kept as it is, as CloudFormation does (no event).
      ctx.resources.set(logicalId, old);
      return;
    }
    const updating = old !== undefined && old.type === type && old.status === 'created';
    const verb = updating ? 'UPDATE' : 'CREATE';
    emit(`${verb}_IN_PROGRESS`, old?.physicalId ?? '');
    if (recorded !== undefined) {
      const synthesized = synthesizedAttributes(
        type,
        logicalId,
        ctx.nameFor(type, logicalId, properties),
        ctx.local,
      );
      const reason = `recorded, not created: ${recorded}`;
      record({
        ...synthesized,
        status: 'skipped',
        reason,
        attributes: synthesized.attributes,
        properties,
        notes: [],
      });
      emit(`${verb}_COMPLETE`, synthesized.physicalId, reason);
      return;
    }
    // An update stops what runs for the old resource first (a mapping must not poll twice, an emulator's
    // stream name is taken), except a function's worker, which is swapped once the new one runs.
    let oldStopped = false;
    let resumeAtMs: number | undefined;
    if (updating && type !== 'AWS::Lambda::Function') {
      const mapping = this.mappings.get(logicalId);
      if (mapping !== undefined) await mapping.drain(30_000).catch(() => undefined);
      resumeAtMs = Date.now();
      await this.handles.get(logicalId)?.stop?.();
      // A hook creates its resource again under the same name: the old one goes first.
      if (hook !== undefined) await this.handles.get(logicalId)?.remove?.();
      oldStopped = true;
    }
    const stepCtx =
      updating && old !== undefined
        ? { ...ctx, previous: old, ...(resumeAtMs === undefined ? {} : { resumeAtMs }) }
        : ctx;
    let created: Created;
    try {
      created =
        hook !== undefined
          ? await runHook(stepCtx, hook, logicalId, type, properties)
          : await (creator as NonNullable<typeof creator>)(stepCtx, logicalId, properties, resource);
    } catch (error) {
      if (oldStopped)
        steps.push({ logicalId, kind: 'updated', handle: {}, oldStopped, attempted: { properties } });
      // A custom resource whose Create failed still gets its Delete on rollback, as on AWS.
      const removeOnRollback = (error as { removeOnRollback?: () => Promise<void> }).removeOnRollback;
      if (!updating && removeOnRollback !== undefined)
        steps.push({
          logicalId,
          kind: 'created',
          handle: { remove: async () => void (await removeOnRollback()) },
        });
      emit(`${verb}_FAILED`, old?.physicalId ?? '', reasonOf(error));
      throw error;
    }
    const handle = handleOf(created, stepCtx, type);
    steps.push({
      logicalId,
      kind: updating ? 'updated' : 'created',
      handle,
      oldStopped,
      ...(updating ? { attempted: { properties, physicalId: created.physicalId } } : {}),
    });
    const skipped = created.skipped;
    record({
      physicalId: created.physicalId,
      status: skipped === undefined ? 'created' : 'skipped',
      ...(skipped === undefined ? {} : { reason: skipped }),
      attributes: created.attributes,
      properties,
      notes: created.notes ?? [],
    });
    emit(
      `${verb}_COMPLETE`,
      created.physicalId,
      skipped === undefined ? undefined : `recorded, not created: ${skipped}`,
    );
  }

  /** Undoes an apply's steps: created resources deleted, updated ones back to what ran before. */
  private async rollback(
    steps: Step[],
    previous: Map<string, DeployedResource>,
    previousHandles: Map<string, Handle>,
    previousFunctions: Map<string, LocalLambdaFunction>,
    previousMappings: Map<string, KinesisEventSourceMapping>,
    input: ApplyInput,
  ): Promise<void> {
    for (const step of [...steps].reverse()) {
      const type = (input.template.Resources?.[step.logicalId]?.Type ??
        previous.get(step.logicalId)?.type) as string;
      const physicalId = previous.get(step.logicalId)?.physicalId ?? '';
      const emit = (status: ResourceEvent['status'], reason?: string) =>
        input.onEvent?.({
          logicalId: step.logicalId,
          type,
          physicalId,
          status,
          ...(reason ? { reason } : {}),
        });
      if (step.kind === 'created') {
        emit('DELETE_IN_PROGRESS');
        await step.handle.stop?.().catch(() => undefined);
        try {
          await step.handle.remove?.();
          emit('DELETE_COMPLETE');
        } catch (error) {
          emit('DELETE_FAILED', reasonOf(error));
        }
        continue;
      }
      emit('UPDATE_IN_PROGRESS');
      await step.handle.stop?.().catch(() => undefined);
      this.functions.clear();
      for (const [id, fn] of previousFunctions) this.functions.set(id, fn);
      if (step.oldStopped && this.template !== undefined) {
        // Started again from the properties it ran with.
        const old = previous.get(step.logicalId) as DeployedResource;
        const raw = this.template.Resources?.[step.logicalId] as TemplateResource;
        const warn = () => {};
        const ctx = {
          ...creatorContext(
            this.engine,
            this,
            { ...input, template: this.template, parameters: this.parameters },
            previous,
            warn,
            old,
            Date.now(),
          ),
          ...(step.attempted === undefined ? {} : { rollbackOf: step.attempted }),
        };
        const hook = this.engine.options.hooks?.[old.type];
        const creator = creatorFor(old.type);
        try {
          const created =
            hook !== undefined
              ? await runHook(ctx, hook, step.logicalId, old.type, old.properties ?? {})
              : await creator?.(ctx, step.logicalId, old.properties ?? {}, raw);
          if (created !== undefined) {
            previousHandles.set(step.logicalId, {
              ...(created.stop ? { stop: created.stop } : {}),
              ...(previousHandles.get(step.logicalId)?.remove
                ? { remove: previousHandles.get(step.logicalId)?.remove as () => Promise<void> }
                : {}),
            });
          }
          emit('UPDATE_COMPLETE');
        } catch (error) {
          emit('UPDATE_FAILED', reasonOf(error));
        }
      } else emit('UPDATE_COMPLETE');
    }
    this.functions.clear();
    for (const [id, fn] of previousFunctions) this.functions.set(id, fn);
    for (const [id, mapping] of this.mappings)
      if (previousMappings.get(id) !== mapping && !steps.some((s) => s.logicalId === id && s.oldStopped))
        this.mappings.delete(id);
    this.handles.clear();
    for (const [id, handle] of previousHandles) this.handles.set(id, handle);
  }
}
