/** Finds a handler's module file, and the error value Lambda's runtime errors travel in. */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LambdaError } from './types.js';

export class LambdaErrorValue extends Error {
  constructor(readonly lambda: LambdaError) {
    super(lambda.errorMessage);
    this.name = lambda.errorType;
  }
}

export function lambdaError(errorType: string, errorMessage: string): LambdaErrorValue {
  return new LambdaErrorValue({ errorType, errorMessage });
}

/**
 * Finds the module file of a handler string as the Node.js runtime does: `<codeDir>/<module>` with `.js`,
 * `.mjs` or `.cjs`; returns it and the export path.
 */
export function resolveHandler(codeDir: string, handler: string): { file: string; exportPath: string[] } {
  const dot = handler.indexOf('.', handler.lastIndexOf('/') + 1);
  if (dot <= 0 || dot === handler.length - 1) {
    throw lambdaError('Runtime.MalformedHandlerName', `Bad handler ${handler}: expected <module>.<export>`);
  }
  const modulePath = handler.slice(0, dot);
  const exportPath = handler.slice(dot + 1).split('.');
  for (const extension of ['.js', '.mjs', '.cjs']) {
    const file = join(codeDir, `${modulePath}${extension}`);
    if (existsSync(file)) return { file, exportPath };
  }
  throw lambdaError(
    'Runtime.ImportModuleError',
    `Error: Cannot find module '${modulePath}' in ${codeDir} (looked for .js, .mjs and .cjs)`,
  );
}
