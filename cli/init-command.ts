/**
 * `streamfeatures init [dir]`: a new CDK app that uses the library (the `cdk init` habit), from the template
 * shipped in the package (templates/app). Refuses a folder that has files in it, naming those it would overwrite.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { packageManifest, packageRoot } from '../lib/package-root.js';
import { CliError, type CliIO } from './io.js';

export const INIT_USAGE = `usage: streamfeatures init [dir] [--name NAME]

  Writes a new CDK app into dir (default: the current folder), which must be empty (hidden entries such as
  .git aside): package.json depending on streamfeatures, cdk.json, bin/app.ts and lib/features-stack.ts with a
  FeaturePipeline, a commented starter spec (spec.mjs), a producer script, a cdk-nag synth test and a README.
  NAME (default: the folder's name) names the package and the stacks (<NAME>-dev, <NAME>-prod).
`;

/** Files whose name npm would not publish under their real name. */
const RENAMED: Readonly<Record<string, string>> = { gitignore: '.gitignore' };

/** The template files, relative to the template folder, in a stable order. */
export function templateFiles(dir = templateDir()): string[] {
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder).sort()) {
      const path = join(folder, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(relative(dir, path));
    }
  };
  walk(dir);
  return files;
}

export function templateDir(): string {
  return join(packageRoot(), 'templates', 'app');
}

/** A stack-safe name: lower case letters, digits and hyphens, starting with a letter. */
export function appName(raw: string): string {
  const name = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return /^[a-z]/.test(name) ? name : `app-${name || 'features'}`;
}

export async function initCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.out(INIT_USAGE);
    return 0;
  }
  if (positionals.length > 1)
    throw new CliError(`init takes one folder (got ${positionals.join(' ')})\n\n${INIT_USAGE}`, 2);
  const target = resolve(positionals[0] ?? '.');
  const written = initApp(target, values.name ?? basename(target));
  const shown = relative(process.cwd(), target) || '.';
  io.out(
    `wrote a streamfeatures CDK app in ${shown}: ${written.join(', ')}\n\n` +
      `next:\n  cd ${shown}\n  npm install\n  npm test                  # synthesize, cdk-nag clean\n` +
      '  npx streamfeatures local up  # then see README.md: deploy locally, send events, read features\n',
  );
  return 0;
}

/** Writes the app into `target` (made if missing); returns the files written. Refuses a folder with files. */
export function initApp(target: string, rawName: string): string[] {
  const dir = templateDir();
  const files = templateFiles(dir);
  const destination = (file: string) => join(dirname(file), RENAMED[basename(file)] ?? basename(file));
  if (existsSync(target)) {
    if (!statSync(target).isDirectory()) throw new CliError(`init: ${target} is a file, not a folder`);
    const present = readdirSync(target).filter((entry) => !entry.startsWith('.'));
    const hidden = readdirSync(target).filter((entry) => entry.startsWith('.'));
    if (present.length > 0) {
      const clashes = files.map(destination).filter((file) => existsSync(join(target, file)));
      throw new CliError(
        `init: ${target} is not empty (it has ${present.sort().join(', ')}); init writes into an empty folder ` +
          `only. ${clashes.length > 0 ? `It would overwrite: ${clashes.join(', ')}.` : 'Nothing would be overwritten, but the app would mix with what is there.'} ` +
          'Choose a new folder: streamfeatures init <dir>',
      );
    }
    const hiddenClashes = files.map(destination).filter((file) => hidden.includes(file));
    if (hiddenClashes.length > 0) {
      throw new CliError(`init: ${target} already has ${hiddenClashes.join(', ')}; it would be overwritten`);
    }
  }
  const values = placeholders(appName(rawName));
  const written: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8').replace(/\{\{([^}]+)\}\}/g, (whole, key: string) => {
      const value = values[key];
      if (value === undefined) throw new Error(`template ${file}: no value for ${whole}`);
      return value;
    });
    const out = join(target, destination(file));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
    written.push(destination(file));
  }
  return written;
}

/**
 * The template's placeholders: the app's name, and the versions of streamfeatures and of the tools it was built
 * and tested with (its own package.json), so a new app starts on a known-good set.
 */
function placeholders(name: string): Record<string, string> {
  const manifest = packageManifest();
  const versions: Record<string, string> = {
    ...manifest.devDependencies,
    ...manifest.dependencies,
  };
  return { ...versions, name, streamfeatures: manifest.version };
}
