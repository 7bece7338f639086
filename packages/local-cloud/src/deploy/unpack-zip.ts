/** Unpacks a Lambda deployment package (a zip) into a folder, with fflate; entries may not leave the folder. */

import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { unzipSync } from 'fflate';

/**
 * Gives an unpacked package the AWS SDK v3 that Lambda's Node.js runtime provides (bundles leave @aws-sdk/*
 * out): a `node_modules` link to the folder this project's @aws-sdk packages are installed in.
 */
export function provideRuntimeSdk(dir: string): void {
  const link = join(dir, 'node_modules');
  if (existsSync(link)) return;
  const manifest = createRequire(import.meta.url).resolve('@aws-sdk/client-s3/package.json');
  const nodeModules = resolve(dirname(manifest), '..', '..');
  symlinkSync(nodeModules, link, 'dir');
}

export function unpackZip(zip: Uint8Array, dir: string): number {
  const root = resolve(dir);
  const entries = unzipSync(zip);
  let files = 0;
  for (const [name, data] of Object.entries(entries)) {
    const target = resolve(join(root, name));
    if (target !== root && !target.startsWith(root + sep)) {
      throw new Error(`the entry ${JSON.stringify(name)} points outside the archive's folder`);
    }
    if (name.endsWith('/')) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, data);
    files++;
  }
  return files;
}
