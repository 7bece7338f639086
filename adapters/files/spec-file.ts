import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseSpec, parseSpecJson, type Spec, SpecError } from '../../core/index.js';

const JAVASCRIPT = ['.js', '.mjs', '.cjs'];
const TYPESCRIPT = ['.ts', '.mts', '.cts'];

/**
 * Loads a spec from a JSON file, or from a module whose default export is the spec (a JSON-form object or a
 * SpecBuilder): JavaScript natively, TypeScript through tsx when it is installed. Every error names the file.
 */
export async function loadSpecFile(path: string): Promise<Spec> {
  const extension = extname(path).toLowerCase();
  if (JAVASCRIPT.includes(extension) || TYPESCRIPT.includes(extension))
    return loadSpecModule(path, extension);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read spec file ${JSON.stringify(path)}: ${(error as Error).message}`);
  }
  return parseSpecJson(text, path);
}

async function loadSpecModule(path: string, extension: string): Promise<Spec> {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new Error(`cannot read spec file ${JSON.stringify(path)}: no such file`);
  const url = pathToFileURL(absolute).href;
  let module: { default?: unknown };
  try {
    module = (
      TYPESCRIPT.includes(extension)
        ? await (await typescriptLoader(path))(url, import.meta.url)
        : await import(url)
    ) as { default?: unknown };
  } catch (error) {
    if (error instanceof SpecError) throw error;
    throw new Error(`cannot load the spec module ${JSON.stringify(path)}: ${describe(error)}`);
  }
  // tsx hands a TypeScript module's default export back as `default.default` when it compiles it to CommonJS.
  let exported = module.default as { default?: unknown } | undefined;
  if (exported && typeof exported === 'object' && 'default' in exported && !('version' in exported))
    exported = exported.default as typeof exported;
  if (exported === undefined) throw new SpecError(['the module has no default export'], path);
  const builder = exported as { toJSON?: () => unknown; build?: () => Spec };
  // A builder (of any copy of this library): validate its JSON form here, so that problems name the file.
  if (typeof builder.build === 'function' && typeof builder.toJSON === 'function')
    return parseSpec(builder.toJSON(), path);
  return parseSpec(exported, path);
}

type TsImport = (specifier: string, parent: string) => Promise<unknown>;

/** tsx's import of one TypeScript module, or an error saying how to load a .ts spec without it. */
async function typescriptLoader(path: string): Promise<TsImport> {
  try {
    const { tsImport } = (await import('tsx/esm/api')) as { tsImport: TsImport };
    return tsImport;
  } catch {
    throw new Error(
      `cannot load the spec module ${JSON.stringify(path)}: TypeScript specs load through tsx, which is not ` +
        'installed (npm install --save-dev tsx), or compile the spec to .js, or write it as JSON',
    );
  }
}

/** An error's name and message; also for error-like objects a loader (another realm, a test runner) may throw. */
function describe(error: unknown): string {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  if (typeof message !== 'string') return String(error);
  return typeof name === 'string' && name !== '' && name !== 'Error' ? `${name}: ${message}` : message;
}
