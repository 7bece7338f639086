/** Unpacks a Lambda deployment package (a zip) into a folder, with fflate; entries may not leave the folder. */

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { unzipSync } from 'fflate';

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
