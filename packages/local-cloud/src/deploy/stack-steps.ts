/**
 * What a stack's apply keeps for each resource (its handle: stopping, deleting, cleaning up) and each step (to undo
 * it on rollback), and the small judgements apply makes: whether properties changed, what a failure says.
 */

import { CREATORS, type DeployEngine } from './engine.js';
import type { Created, CreatorContext } from './resources/context.js';
import { REMOVERS } from './resources/remove.js';
import type { TemplateResource } from './types.js';

/** What runs for one resource: ending it, and deleting it from the cloud. */
export interface Handle {
  stop?: () => Promise<void>;
  remove?: () => Promise<void>;
  cleanup?: () => Promise<void>;
}

/** An update's step for one resource, to undo it on rollback. */
export interface Step {
  logicalId: string;
  kind: 'created' | 'updated';
  handle: Handle;
  /** For an update: whether the old one was stopped before the new one started (then it must be started again). */
  oldStopped?: boolean;
  /** For an update: the properties it tried, and the physical id it got if it succeeded. */
  attempted?: { properties: Record<string, unknown>; physicalId?: string };
}

export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function supportedTypes(engine: DeployEngine): string {
  return [
    ...Object.keys(CREATORS),
    'AWS::CloudFormation::CustomResource',
    'Custom::*',
    ...Object.keys(engine.options.hooks ?? {}),
  ].join(', ');
}

/** Equal as JSON values (object key order aside). */
export function sameValue(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value as object).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/**
 * A resource's properties, resolved. A recorded resource's (`lenient`) serve only its name: what fails to resolve
 * there does not matter.
 */
export function resolvedProperties(
  ctx: CreatorContext,
  resource: TemplateResource,
  lenient: boolean,
): Record<string, unknown> {
  try {
    return ctx.resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>;
  } catch (error) {
    if (lenient) return {};
    throw error;
  }
}

/** What a created resource leaves to run: its own stop, remove and cleanup, else its type's remover. */
export function handleOf(created: Created, ctx: CreatorContext, type: string): Handle {
  const handle: Handle = {
    ...(created.stop ? { stop: created.stop } : {}),
    ...(created.remove ? { remove: created.remove } : {}),
    ...(created.cleanup ? { cleanup: created.cleanup } : {}),
  };
  const remover = REMOVERS[type];
  if (handle.remove === undefined && remover !== undefined) {
    const physicalId = created.physicalId;
    handle.remove = () =>
      remover(ctx, {
        type,
        physicalId,
        status: 'created',
        attributes: created.attributes,
        notes: [],
        durationMs: 0,
      });
  }
  return handle;
}
