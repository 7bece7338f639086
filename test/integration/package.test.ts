/**
 * The package as an adopter gets it, outside this repository: `npm pack` (which builds it), `init` an app in a
 * temporary folder, install the tarball there (a plain `npm install --prefer-offline`: the registry's packages
 * come from the npm cache when it has them), `cdk synth` with the app's own cdk-nag check, the app's own test
 * and type check, and the installed CLI. Deploying that app onto the local cloud, putting events and reading
 * them with `features get` is not part of this test (see the README's status).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../core/index.js';

const run = promisify(execFile);
const REPO = resolve('.');
const MINUTES = 60_000;

interface PackReport {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

let root: string;
let app: string;
let pack: PackReport;
const timings: Record<string, number> = {};

/** Runs a command in a folder; its output on failure. */
async function sh(command: string, args: string[], cwd: string, timeoutMinutes = 10) {
  const started = performance.now();
  try {
    return await run(command, args, {
      cwd,
      timeout: timeoutMinutes * MINUTES,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', NO_UPDATE_NOTIFIER: '1' },
    });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) failed: ${failed.message}\n${failed.stdout}\n${failed.stderr}`,
    );
  } finally {
    timings[`${command} ${args[0]}`] = Math.round(performance.now() - started);
  }
}

beforeAll(async () => {
  const started = performance.now();
  // Outside the repository: nothing above the app resolves to this checkout's node_modules.
  root = mkdtempSync(join(tmpdir(), 'streamfeatures-package-'));
  expect(root.startsWith(REPO)).toBe(false);
  const { stdout } = await sh('npm', ['pack', '--json', '--pack-destination', root], REPO);
  // `prepare` (the build) prints before the JSON report.
  [pack] = JSON.parse(stdout.slice(stdout.indexOf('[\n'))) as [PackReport];
  app = join(root, 'my-features');
  await sh(process.execPath, [join(REPO, 'dist/streamfeatures.mjs'), 'init', app], root);
  await sh(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', join(root, pack.filename)],
    app,
    15,
  );
  await sh('npx', ['cdk', 'synth', '--quiet'], app);
  timings.total = Math.round(performance.now() - started);
}, 30 * MINUTES);

afterAll(() => {
  if (!root) return;
  // The figures the README quotes: the tarball's size and how long this test took.
  writeFileSync(
    join(REPO, '.tmp', 'package-test.json'),
    JSON.stringify(
      { packed: pack?.size, unpacked: pack?.unpackedSize, files: pack?.files.length, timings },
      null,
      2,
    ),
  );
  rmSync(root, { recursive: true, force: true });
});

describe('the package, installed outside the repository', () => {
  it('ships the compiled library with declarations, the CLI, the Lambda bundles, the default models and the templates only', () => {
    const paths = pack.files.map((f) => f.path);
    for (const path of [
      'dist/lib/index.js',
      'dist/lib/index.d.ts',
      'dist/lib/spec.d.ts',
      'dist/streamfeatures.mjs',
      'dist/lambdas/features/index.mjs',
      'dist/lambdas/score/index.mjs',
      'dist/lambdas/ingest/index.mjs',
      'dist/models/fraud-lr-52a6357d6140.json',
      'templates/app/spec.mjs',
      'CHANGELOG.md',
      'package.json',
    ]) {
      expect(paths).toContain(path);
    }
    const outside = paths.filter(
      (path) => !/^(dist\/|templates\/app\/|README\.md$|CHANGELOG\.md$|package\.json$|LICENSE)/.test(path),
    );
    expect(outside).toEqual([]);
    expect(
      paths.filter(
        (path) => path.endsWith('.ts') && !path.endsWith('.d.ts') && !path.startsWith('templates/'),
      ),
    ).toEqual([]);
    expect(pack.unpackedSize).toBeLessThan(10 * 1024 * 1024);
  });

  it('synthesizes the app with cdk-nag clean, each function an asset directory with the spec beside its bundle', () => {
    const template = JSON.parse(
      readFileSync(join(app, 'cdk.out', 'my-features-dev.template.json'), 'utf8'),
    ) as {
      Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
    };
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    const assets = functions
      .map((fn) => fn.Metadata?.['aws:asset:path'])
      .filter((path) => path !== undefined);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    const starter = readFileSync(join(app, 'spec.mjs'), 'utf8');
    expect(starter).toContain("defineSpec('payments'");
    for (const asset of assets) {
      const dir = join(app, 'cdk.out', asset);
      expect(readdirSync(dir)).toEqual(expect.arrayContaining(['index.mjs', 'spec.json']));
      const spec = parseSpec(JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')));
      expect(spec.name).toBe('payments');
      expect(spec.features.map((f) => f.name)).toContain('card_txn_count_10m');
    }
    expect(assets.some((asset) => existsSync(join(app, 'cdk.out', asset, 'models.json')))).toBe(true);
    // Nothing in the synthesized app points back into this checkout.
    expect(readFileSync(join(app, 'cdk.out', 'my-features-dev.template.json'), 'utf8')).not.toContain(REPO);
  });

  it(
    "passes the app's own test (a cdk-nag check of the stack) and type check against the package's declarations",
    async () => {
      const { stdout } = await sh('npm', ['test'], app);
      expect(stdout).toMatch(/# pass 1\n# fail 0/);
      await sh('npx', ['tsc', '--noEmit'], app);
    },
    10 * MINUTES,
  );

  it(
    'runs the installed CLI from the app: checks its spec, and refuses to init over it, naming the files',
    async () => {
      const { stdout } = await sh('npx', ['streamfeatures', 'spec', 'check', 'spec.mjs'], app);
      expect(stdout).toContain('spec "payments" with 5 features');
      await expect(sh('npx', ['streamfeatures', 'init', '.'], app)).rejects.toThrow(
        /is not empty .* It would overwrite: README\.md, bin\/app\.ts, cdk\.json, .*package\.json/,
      );
    },
    5 * MINUTES,
  );
});
