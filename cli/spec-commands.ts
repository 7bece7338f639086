import { loadSpecFile } from '../adapters/files/spec-file.js';
import { compileSpec, itemSizeProblems, SpecError } from '../core/index.js';
import { type CliIO, countOf } from './io.js';

/** `streamfeatures spec check S`: validates, and says what the spec holds. */
export async function specCheck(path: string, io: CliIO): Promise<number> {
  const spec = compileSpec(await loadSpecFile(path));
  const oversized = itemSizeProblems(spec);
  if (oversized.length > 0) throw new SpecError(oversized, path);
  const entities = spec.entities.map((e) => `${e.name} (${e.features.length})`).join(', ');
  io.out(
    `ok: spec "${spec.spec.name}" with ${countOf(spec.spec.features.length, 'feature')} over ${entities}\n`,
  );
  return 0;
}

/** `streamfeatures spec print S`: the normalized JSON form, defaults filled in. */
export async function specPrint(path: string, io: CliIO): Promise<number> {
  io.out(`${JSON.stringify(await loadSpecFile(path), null, 2)}\n`);
  return 0;
}
