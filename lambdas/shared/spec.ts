import { readFileSync } from 'node:fs';
import { type CompiledSpec, compileSpec, parseSpecJson } from '../../core/index.js';
import type { Env } from './config.js';

/**
 * The normalized spec as JSON text, put into a bundle at build time by esbuild
 * (`define: { __STREAMFEATURES_SPEC__: JSON.stringify(JSON.stringify(spec)) }`). Undefined when the code runs
 * unbundled (tests, tsx).
 */
declare const __STREAMFEATURES_SPEC__: string | undefined;

/**
 * The feature spec, validated and compiled: the one built into the bundle, else the JSON file named by
 * `STREAMFEATURES_SPEC_FILE` (tests, the local cloud). Call once, at module scope.
 */
export function loadSpec(env: Env = process.env): CompiledSpec {
  if (typeof __STREAMFEATURES_SPEC__ !== 'undefined') {
    return compileSpec(parseSpecJson(__STREAMFEATURES_SPEC__, 'the spec built into this bundle'));
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
    'no feature spec: this code was bundled without __STREAMFEATURES_SPEC__ and STREAMFEATURES_SPEC_FILE is not set ' +
      '(bundle with scripts/bundle-lambdas.mjs or the CDK app, or point STREAMFEATURES_SPEC_FILE at a spec JSON file)',
  );
}
