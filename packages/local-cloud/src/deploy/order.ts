/** Dependency ordering of a template's resources (Ref, Fn::GetAtt, Fn::Sub, DependsOn) into waves. */

import type { TemplateResource } from './types.js';
import { isRecord } from './util.js';

/** The logical ids a template value references (Ref, Fn::GetAtt, Fn::Sub), among `ids`. */
export function referencedIds(value: unknown, ids: ReadonlySet<string>, out: Set<string>): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, ids, out);
  } else if (isRecord(value)) {
    for (const [key, arg] of Object.entries(value)) {
      if (key === 'Ref' && typeof arg === 'string' && ids.has(arg)) out.add(arg);
      else if (key === 'Fn::GetAtt') {
        const id = typeof arg === 'string' ? arg.split('.')[0] : Array.isArray(arg) ? arg[0] : undefined;
        if (typeof id === 'string' && ids.has(id)) out.add(id);
      } else if (key === 'Fn::Sub') {
        const text = typeof arg === 'string' ? arg : Array.isArray(arg) ? arg[0] : undefined;
        const locals = Array.isArray(arg) && isRecord(arg[1]) ? arg[1] : {};
        if (typeof text === 'string') {
          for (const match of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
            const name = (match[1] as string).trim().split('.')[0] as string;
            if (!(name in locals) && ids.has(name)) out.add(name);
          }
        }
        if (Array.isArray(arg)) referencedIds(arg[1], ids, out);
      } else referencedIds(arg, ids, out);
    }
  }
  return out;
}

/** Logical ids in waves: each wave depends only on earlier ones. Throws on a cycle, naming it. */
export function deploymentWaves(resources: Record<string, TemplateResource>): string[][] {
  const ids = new Set(Object.keys(resources));
  const needs = new Map<string, Set<string>>();
  for (const [id, resource] of Object.entries(resources)) {
    const deps = referencedIds(resource.Properties ?? {}, ids, new Set());
    const dependsOn = resource.DependsOn === undefined ? [] : [resource.DependsOn].flat();
    for (const dep of dependsOn) {
      if (!ids.has(dep)) throw new Error(`${id} DependsOn ${dep}, which is not a resource of the template`);
      deps.add(dep);
    }
    deps.delete(id);
    needs.set(id, deps);
  }
  const waves: string[][] = [];
  const done = new Set<string>();
  while (done.size < ids.size) {
    const wave = [...ids].filter(
      (id) => !done.has(id) && [...(needs.get(id) ?? [])].every((d) => done.has(d)),
    );
    if (wave.length === 0) {
      const left = [...ids].filter((id) => !done.has(id));
      throw new Error(`the template's resources depend on each other in a cycle: ${left.join(', ')}`);
    }
    for (const id of wave) done.add(id);
    waves.push(wave);
  }
  return waves;
}
