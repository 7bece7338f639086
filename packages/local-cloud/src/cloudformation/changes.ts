/** A change set's Changes: how a new template's resources differ from the deployed template's. */

import type { Template } from '../deploy/types.js';

export interface ResourceChange {
  Type: 'Resource';
  ResourceChange: {
    Action: 'Add' | 'Modify' | 'Remove';
    LogicalResourceId: string;
    PhysicalResourceId?: string;
    ResourceType: string;
    Replacement?: 'True' | 'False';
    Scope: string[];
    Details: Array<{
      Target: { Attribute: string; Name?: string; RequiresRecreation: string };
      ChangeSource: string;
      Evaluation: string;
    }>;
  };
}

/** By their definitions as written (intrinsics unresolved): an update re-resolves and decides per resource. */
export function changesBetween(
  deployed: Template | undefined,
  proposed: Template,
  physicalIds: ReadonlyMap<string, string>,
): ResourceChange[] {
  const before = deployed?.Resources ?? {};
  const after = proposed.Resources ?? {};
  const changes: ResourceChange[] = [];
  for (const [id, resource] of Object.entries(after)) {
    const old = before[id];
    if (old === undefined) {
      changes.push(change('Add', id, resource.Type));
      continue;
    }
    if (JSON.stringify(old) === JSON.stringify(resource)) continue;
    const properties = new Set([
      ...Object.keys(old.Properties ?? {}),
      ...Object.keys(resource.Properties ?? {}),
    ]);
    const details = [...properties]
      .filter(
        (name) => JSON.stringify(old.Properties?.[name]) !== JSON.stringify(resource.Properties?.[name]),
      )
      .map((name) => ({
        Target: { Attribute: 'Properties', Name: name, RequiresRecreation: 'Never' },
        ChangeSource: 'DirectModification',
        Evaluation: 'Static',
      }));
    changes.push({
      Type: 'Resource',
      ResourceChange: {
        Action: 'Modify',
        LogicalResourceId: id,
        ...(physicalIds.get(id) ? { PhysicalResourceId: physicalIds.get(id) } : {}),
        ResourceType: resource.Type,
        Replacement: 'False',
        Scope: details.length > 0 ? ['Properties'] : ['Metadata'],
        Details: details,
      },
    });
  }
  for (const [id, resource] of Object.entries(before)) {
    if (!(id in after)) {
      changes.push({ ...change('Remove', id, resource.Type) });
      const last = changes.at(-1) as ResourceChange;
      if (physicalIds.get(id)) last.ResourceChange.PhysicalResourceId = physicalIds.get(id) as string;
    }
  }
  return changes;
}

function change(action: 'Add' | 'Remove', id: string, type: string): ResourceChange {
  return {
    Type: 'Resource',
    ResourceChange: { Action: action, LogicalResourceId: id, ResourceType: type, Scope: [], Details: [] },
  };
}
