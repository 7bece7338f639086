/**
 * Deleting a stack's resources as CloudFormation does: dependents before what they depend on (the deployment waves
 * reversed), each one's process stopped first, those with DeletionPolicy Retain, RetainExceptOnCreate or Snapshot
 * left in the cloud; each step reported as a stack event.
 */

import { deploymentWaves } from './order.js';
import { type Handle, reasonOf } from './stack-steps.js';
import type { DeployedResource, ResourceEvent, Template } from './types.js';

/** Deletes `ids` (of `template`), dependents before what they depend on; retained ones are left in the cloud. */
export async function removeInOrder(
  template: Template,
  ids: string[],
  resources: Map<string, DeployedResource>,
  handles: Map<string, Handle>,
  onEvent?: (event: ResourceEvent) => void,
): Promise<void> {
  const wanted = new Set(ids);
  const waves = deploymentWaves(template.Resources ?? {}).reverse();
  const failures: string[] = [];
  for (const wave of waves) {
    await Promise.all(
      wave
        .filter((id) => wanted.has(id))
        .map(async (id) => {
          const resource = resources.get(id);
          if (resource === undefined) return;
          const emit = (status: ResourceEvent['status'], reason?: string) =>
            onEvent?.({
              logicalId: id,
              type: resource.type,
              physicalId: resource.physicalId,
              status,
              ...(reason ? { reason } : {}),
            });
          if (resource.status === 'skipped' && resource.physicalId === '') return;
          emit('DELETE_IN_PROGRESS');
          const handle = handles.get(id);
          await handle?.stop?.().catch(() => undefined);
          const policy = template.Resources?.[id]?.DeletionPolicy;
          if (policy === 'Retain' || policy === 'RetainExceptOnCreate' || policy === 'Snapshot') {
            emit('DELETE_SKIPPED', `DeletionPolicy ${policy}: left in the cloud`);
            return;
          }
          try {
            if (resource.status === 'created') await handle?.remove?.();
            emit('DELETE_COMPLETE');
          } catch (error) {
            emit('DELETE_FAILED', reasonOf(error));
            failures.push(`${id} (${resource.type}): ${reasonOf(error)}`);
          }
        }),
    );
  }
  if (failures.length > 0) throw new Error(`could not delete ${failures.join('; ')}`);
}
