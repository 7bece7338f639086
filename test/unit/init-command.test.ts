import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appName, initApp, initCommand, templateFiles } from '../../cli/init-command.js';
import { CliError, type CliIO } from '../../cli/io.js';
import { packageManifest } from '../../lib/package-root.js';
import { CDK_FLAGS } from '../cdk/synth.js';

/** Collects what a command writes. */
function bufferIO(): CliIO & { stdout(): string } {
  let out = '';
  return {
    out: (text) => {
      out += text;
    },
    err: () => undefined,
    stdout: () => out,
  };
}

const scratches: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamfeatures-init-'));
  scratches.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of scratches) rmSync(dir, { recursive: true, force: true });
});

describe('streamfeatures init', () => {
  it('writes every template file, the name and the versions filled in, no placeholder left', () => {
    const dir = join(scratch(), 'Fraud Features');
    const written = initApp(dir, 'Fraud Features');
    expect(written.sort()).toEqual(
      [
        '.gitignore',
        'README.md',
        'bin/app.ts',
        'cdk.json',
        'lib/features-stack.ts',
        'package.json',
        'scripts/put-events.mjs',
        'spec.mjs',
        'test/synth.test.ts',
        'tsconfig.json',
      ].sort(),
    );
    for (const file of written) expect(readFileSync(join(dir, file), 'utf8')).not.toMatch(/\{\{|\}\}/);
    const manifest = packageManifest();
    const app = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(app.name).toBe('fraud-features');
    expect(app.dependencies.streamfeatures).toBe(`^${manifest.version}`);
    expect(app.dependencies['aws-cdk-lib']).toBe(manifest.devDependencies?.['aws-cdk-lib']);
    expect(app.devDependencies['cdk-nag']).toBe(manifest.devDependencies?.['cdk-nag']);
    const stackName = ['`fraud-features-$', '{stage}`'].join('');
    expect(readFileSync(join(dir, 'lib/features-stack.ts'), 'utf8')).toContain(stackName);
  });

  it('gives the app the same CDK feature flags as this repository', () => {
    const dir = join(scratch(), 'app');
    initApp(dir, 'app');
    const { context } = JSON.parse(readFileSync(join(dir, 'cdk.json'), 'utf8')) as {
      context: Record<string, unknown>;
    };
    expect(context).toEqual({ stage: 'dev', ...CDK_FLAGS });
  });

  it('refuses a folder with files in it, naming those it would overwrite, and writes nothing', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'package.json'), '{}');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'app.ts'), '// mine');
    expect(() => initApp(dir, 'app')).toThrow(CliError);
    expect(() => initApp(dir, 'app')).toThrow(
      `init: ${dir} is not empty (it has bin, notes.txt, package.json); init writes into an empty folder only. ` +
        'It would overwrite: bin/app.ts, package.json. Choose a new folder: streamfeatures init <dir>',
    );
    expect(readdirSync(dir).sort()).toEqual(['bin', 'notes.txt', 'package.json']);
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe('{}');
  });

  it('refuses a folder with other files too, saying nothing would be overwritten', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'data.csv'), 'a,b');
    expect(() => initApp(dir, 'app')).toThrow(/has data\.csv\); .* Nothing would be overwritten/);
  });

  it('writes beside hidden entries such as .git', () => {
    const dir = scratch();
    mkdirSync(join(dir, '.git'));
    expect(initApp(dir, 'app')).toContain('package.json');
  });

  it('names the app for CloudFormation: lower case, hyphens, a letter first', () => {
    expect(appName('My_Features App')).toBe('my-features-app');
    expect(appName('42')).toBe('app-42');
    expect(appName('---')).toBe('app-features');
  });

  it('answers --help with its usage, and refuses two folders', async () => {
    const io = bufferIO();
    expect(await initCommand(['--help'], io)).toBe(0);
    expect(io.stdout()).toMatch(/^usage: streamfeatures init \[dir\] \[--name NAME\]/);
    await expect(initCommand(['a', 'b'], bufferIO())).rejects.toThrow('init takes one folder (got a b)');
  });

  it('ships a template whose files are all written', () => {
    expect(templateFiles().length).toBe(10);
  });
});
