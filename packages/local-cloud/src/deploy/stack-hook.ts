/**
 * A resource a deploy hook creates (Glue tables, Firehose streams, HTTP APIs: src/deploy-hooks.ts), as a stack's
 * creators answer: the hook's physical id and attributes, the usual synthesized ones filling in what it leaves out.
 */

import type { DeployEngine } from './engine.js';
import { synthesizedAttributes } from './naming.js';
import type { Created, CreatorContext } from './resources/context.js';

/** A deploy hook of the engine's options. */
export type DeployHook = NonNullable<NonNullable<DeployEngine['options']['hooks']>[string]>;

export async function runHook(
  ctx: CreatorContext,
  hook: NonNullable<NonNullable<DeployEngine['options']['hooks']>[string]>,
  logicalId: string,
  type: string,
  properties: Record<string, unknown>,
): Promise<Created> {
  const result = await hook(logicalId, properties, {
    type,
    stackName: ctx.local.stackName,
    region: ctx.local.region,
    accountId: ctx.local.accountId,
    cloudEndpoint: ctx.local.cloudEndpoint,
    physicalName: ctx.nameFor(type, logicalId, properties),
    functionNamed: ctx.functionNamed,
  });
  // The usual attributes (Arn...) fill in what the hook leaves out, when they derive from its physical id.
  const synthesized = synthesizedAttributes(type, logicalId, result.physicalId, ctx.local);
  const defaults = synthesized.physicalId === result.physicalId ? synthesized.attributes : {};
  return {
    physicalId: result.physicalId,
    attributes: { ...defaults, ...result.attributes },
    notes: ['created by a hook'],
    ...(result.stop ? { stop: result.stop } : {}),
    ...(result.remove ? { remove: result.remove } : {}),
  };
}
