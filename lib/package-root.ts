import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's manifest, as far as this code reads it. */
export interface PackageManifest {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

/**
 * The root of the streamfeatures package: the nearest folder above this module whose package.json is
 * streamfeatures's. The same answer from the sources (the repository) and from the built package (dist/lib/,
 * the CLI bundle in dist/), wherever it is installed.
 */
export function packageRoot(from = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readManifest(manifest).name === 'streamfeatures') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`streamfeatures: no package.json of streamfeatures above ${from}`);
    dir = parent;
  }
}

/** streamfeatures's own package.json. */
export function packageManifest(root = packageRoot()): PackageManifest {
  return readManifest(join(root, 'package.json'));
}

function readManifest(path: string): PackageManifest {
  return JSON.parse(readFileSync(path, 'utf8')) as PackageManifest;
}
