import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseSpec, parseSpecJson, type Spec, SpecError } from '../../core/index.js';

/**
 * Loads a spec from a JSON file, or from a JavaScript module whose default export is the spec
 * (a JSON-form object or a SpecBuilder).
 */
export async function loadSpecFile(path: string): Promise<Spec> {
  const extension = extname(path);
  if (['.js', '.mjs', '.cjs'].includes(extension)) {
    const module = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
    const exported = module.default as { build?: () => Spec } | undefined;
    if (exported === undefined) throw new SpecError(['the module has no default export'], path);
    return typeof exported.build === 'function' ? exported.build() : parseSpec(exported, path);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read spec file ${JSON.stringify(path)}: ${(error as Error).message}`);
  }
  return parseSpecJson(text, path);
}
