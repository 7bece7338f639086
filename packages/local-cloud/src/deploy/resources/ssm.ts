/** SSM parameters, written to the local cloud's Parameter Store (src/ssm/). */

import { synthesizedAttributes } from '../naming.js';
import { notApplied } from '../util.js';
import type { Created, CreatorContext } from './context.js';

export async function createSsmParameter(
  ctx: CreatorContext,
  logicalId: string,
  p: Record<string, unknown>,
): Promise<Created> {
  const { local, ssm, nameFor } = ctx;
  const name = nameFor('AWS::SSM::Parameter', logicalId, p);
  const base = synthesizedAttributes('AWS::SSM::Parameter', logicalId, name, local);
  if (ssm === undefined) return { ...base, skipped: 'no SSM Parameter Store is attached to this deployment' };
  const type = String(p.Type ?? 'String');
  const value = Array.isArray(p.Value) ? p.Value.join(',') : String(p.Value ?? '');
  ssm.put({
    name,
    value,
    type,
    overwrite: true,
    ...(typeof p.Description === 'string' ? { description: p.Description } : {}),
  });
  return {
    physicalId: name,
    attributes: { Type: type, Value: value },
    remove: async () => {
      if (ssm.find(name) !== undefined) ssm.delete(name);
    },
    notes: notApplied(p, ['Name', 'Type', 'Value', 'Description', 'DataType']),
  };
}
