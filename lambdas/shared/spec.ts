import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CompiledSpec, compileSpec, parseSpecJson } from '../../core/index.js';
import type { Env } from './config.js';

/**
 * Defined as `true` by the bundler (scripts/bundle-lambdas.mjs): the code runs from a function directory that
 * holds the bundle and, beside it, what the construct staged with it. Undefined when the code runs unbundled
 * (tests, tsx).
 */
declare const __STREAMFEATURES_BUNDLE__: boolean | undefined;

/**
 * The layout of a deployed function's directory (lib/streamfeatures-function.ts stages it at synth): the generic
 * bundle `index.mjs`, the normalized spec, and for the score function its models.
 */
export const FUNCTION_FILES = {
  bundle: 'index.mjs',
  spec: 'spec.json',
  /** `{"champion": version, "documents": [document, ...]}` (lib/model-registry.ts `modelsToBuildIn`). */
  models: 'models.json',
} as const;

/** The directory the running bundle was loaded from; undefined when the code runs unbundled. */
export function functionDirectory(): string | undefined {
  return typeof __STREAMFEATURES_BUNDLE__ !== 'undefined' && __STREAMFEATURES_BUNDLE__
    ? dirname(fileURLToPath(import.meta.url))
    : undefined;
}

/** A file staged beside the bundle, read at cold start; a missing one fails naming its path. */
export function readFunctionFile(directory: string, name: string, what: string): string {
  const path = join(directory, name);
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(
      `cannot read ${what} ${JSON.stringify(path)}: ${(error as Error).message} (the function's code is its ` +
        `bundle plus the files the construct stages beside it: deploy it with the streamfeatures constructs)`,
    );
  }
}

/**
 * The feature spec, validated and compiled: `spec.json` beside the bundle, else (unbundled: tests, tsx) the JSON
 * file named by `STREAMFEATURES_SPEC_FILE`. Call once, at module scope.
 */
export function loadSpec(env: Env = process.env, directory = functionDirectory()): CompiledSpec {
  if (directory !== undefined) {
    const path = join(directory, FUNCTION_FILES.spec);
    return compileSpec(parseSpecJson(readFunctionFile(directory, FUNCTION_FILES.spec, 'the spec'), path));
  }
  const file = env.STREAMFEATURES_SPEC_FILE;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(
        `cannot read STREAMFEATURES_SPEC_FILE ${JSON.stringify(file)}: ${(error as Error).message}`,
      );
    }
    return compileSpec(parseSpecJson(text, file));
  }
  throw new Error(
    'no feature spec: this code runs unbundled and STREAMFEATURES_SPEC_FILE is not set (point it at a spec JSON ' +
      'file, or run the bundle from a function directory staged by the streamfeatures constructs)',
  );
}
