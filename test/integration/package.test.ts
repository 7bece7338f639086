/**
 * The package as an adopter gets it, outside this repository: `npm pack` (which builds it), `init` an app in a
 * temporary folder, install the tarball there (a plain `npm install --prefer-offline`: the registry's packages
 * come from the npm cache when it has them), `cdk synth` with the app's own cdk-nag check, the app's own test
 * and type check, and the installed CLI. Then, as the app's README tells its user, in the app's folder and with
 * the app's own installed tools only: `streamfeatures local up`, `cdk bootstrap`, `cdk deploy` with
 * `--outputs-file`, the app's producer script, `streamfeatures features get` until the counts show the events,
 * `cdk destroy`, `streamfeatures local down`. The steps share one packed and installed app, in order.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../core/index.js';
import { until } from '../support/until.js';

const run = promisify(execFile);
const REPO = resolve('.');
const MINUTES = 60_000;
/** How long the features take to appear, polled every second. */
const WAIT = { timeoutMs: 5 * MINUTES };

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
let testStarted: number;
/** The local cloud `local up` started for the deploy steps, if it is up: where it keeps its state. */
let cloudStateDir: string | undefined;
/** The app user's environment once the local cloud is up: theirs, minus AWS and CDK settings, plus its four. */
let cloudEnv: NodeJS.ProcessEnv;

/** Runs a command in a folder; its output on failure. */
async function sh(
  command: string,
  args: string[],
  cwd: string,
  timeoutMinutes = 10,
  env: NodeJS.ProcessEnv = process.env,
) {
  const started = performance.now();
  try {
    return await run(command, args, {
      cwd,
      timeout: timeoutMinutes * MINUTES,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...env, npm_config_audit: 'false', npm_config_fund: 'false', NO_UPDATE_NOTIFIER: '1' },
    });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) failed: ${failed.message}\n${failed.stdout}\n${failed.stderr}`,
    );
  } finally {
    // `npx cdk deploy`, `npx streamfeatures local up`: the command and its verbs, without flags.
    const verbs = args.slice(0, 3).filter((arg, i) => i === 0 || !arg.startsWith('-'));
    const label = command === 'npx' ? verbs.join(' ') : `${command} ${args[0]}`;
    timings[label] = Math.round(performance.now() - started);
  }
}

beforeAll(async () => {
  testStarted = performance.now();
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
  timings.setup = Math.round(performance.now() - testStarted);
}, 30 * MINUTES);

afterAll(async () => {
  if (!root) return;
  // A failed step can leave the local cloud up: stop it, as its user would.
  if (cloudStateDir) {
    await sh('npx', ['streamfeatures', 'local', 'down', '--state-dir', cloudStateDir], app).catch(() => {});
  }
  timings.total = Math.round(performance.now() - testStarted);
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
}, 2 * MINUTES);

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
      'dist/lambdas/labels/index.mjs',
      'dist/lambdas/spec-guard/index.mjs',
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

  it(
    'starts the local cloud with the installed CLI, from the app folder, on a free port',
    async () => {
      const stateDir = join(root, 'local-cloud');
      const { stdout } = await sh(
        'npx',
        ['streamfeatures', 'local', 'up', '--port', '0', '--state-dir', stateDir],
        app,
        5,
      );
      cloudStateDir = stateDir;
      const endpoint = /local cloud up at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      expect(endpoint, stdout).toBeDefined();
      // The hint it prints stops this cloud, not the default one.
      expect(stdout).toContain(`streamfeatures local down --state-dir ${stateDir}`);
      const clean = Object.fromEntries(
        Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_') && !key.startsWith('CDK_')),
      );
      cloudEnv = {
        ...clean,
        AWS_ENDPOINT_URL: endpoint,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_REGION: 'us-east-1',
      };
    },
    5 * MINUTES,
  );

  it(
    "bootstraps and deploys the app onto it with the app's own CDK CLI, writing the outputs the README names",
    async () => {
      expect(cloudEnv, 'the local cloud is up').toBeDefined();
      // As the README has it: the account and region come from the local STS and AWS_REGION.
      await sh('npx', ['cdk', 'bootstrap'], app, 10, cloudEnv);
      await sh(
        'npx',
        ['cdk', 'deploy', 'my-features-dev', '--require-approval', 'never', '--outputs-file', 'outputs.json'],
        app,
        15,
        cloudEnv,
      );
      const outputs = stackOutputs();
      expect(outputs.StreamName).toMatch(/^my-features-dev-/);
      expect(outputs.TableName).toMatch(/^my-features-dev-/);
      expect(outputs.ScoringUrl).toContain(cloudEnv.AWS_ENDPOINT_URL);
    },
    20 * MINUTES,
  );

  it(
    "counts the events the app's producer script puts, read back with the installed `features get`",
    async () => {
      const { StreamName, TableName } = stackOutputs();
      const cards = ['c0', 'c1', 'c2'];
      // 60 payments over 3 cards: 20 each, with merchants m0..m6 all among each card's (i % 7 over i % 3 = k).
      const { stdout } = await sh(
        'node',
        ['scripts/put-events.mjs', '--stream', StreamName, '--count', '60', '--cards', String(cards.length)],
        app,
        5,
        cloudEnv,
      );
      expect(stdout).toContain(`put 60 of 60 events on ${StreamName}`);
      const get = [
        'streamfeatures',
        'features',
        'get',
        '--spec',
        'spec.mjs',
        '--table',
        TableName,
        ...cards.flatMap((card) => ['--entity', 'card', '--key', `card_id=${card}`]),
      ];
      const started = performance.now();
      const read = await until(
        'the counts of c0, c1, c2 to reach 20',
        async () => {
          const { stdout: json } = await sh('npx', get, app, 5, cloudEnv);
          const answer = JSON.parse(json) as FeaturesAnswer;
          const counts = answer.entities.map((e) => e.features.card_txn_count_10m);
          return counts.every((count) => typeof count === 'number' && count >= 20) ? answer : undefined;
        },
        WAIT,
      );
      timings['events to features'] = Math.round(performance.now() - started);
      expect(read.entities.map((e) => e.key.card_id)).toEqual(cards);
      for (const { features } of read.entities) {
        expect(features.card_txn_count_10m).toBe(20);
        expect(features.card_distinct_merchants_24h).toBe(7);
        expect(features.card_amount_sum_1h).toBeCloseTo((features.card_amount_avg_24h as number) * 20, 6);
      }
    },
    10 * MINUTES,
  );

  it(
    'destroys the stack and stops the local cloud with the installed CLI, leaving it not running',
    async () => {
      await sh('npx', ['cdk', 'destroy', 'my-features-dev', '--force'], app, 10, cloudEnv);
      const stateDir = cloudStateDir as string;
      const { stdout } = await sh('npx', ['streamfeatures', 'local', 'down', '--state-dir', stateDir], app);
      expect(stdout).toMatch(/local cloud stopped: .*kinesis-mock.*DynamoDB Local.*fauxqs/);
      cloudStateDir = undefined;
      const { stdout: status } = await sh(
        'npx',
        ['streamfeatures', 'local', 'status', '--state-dir', stateDir],
        app,
      ).catch((error: Error) => ({ stdout: error.message }));
      expect(status).toContain('local cloud is not up');
    },
    10 * MINUTES,
  );
});

interface FeaturesAnswer {
  entities: {
    entity: string;
    key: Record<string, string>;
    features: Record<string, number | string | null>;
  }[];
}

/** The deployed stack's outputs the steps use, from the outputs.json `cdk deploy --outputs-file` wrote. */
function stackOutputs(): { StreamName: string; TableName: string; ScoringUrl: string } {
  const all = JSON.parse(readFileSync(join(app, 'outputs.json'), 'utf8')) as Record<
    string,
    Record<string, string>
  >;
  const outputs = all['my-features-dev'] ?? {};
  const named = (key: string): string => {
    const value = outputs[key];
    if (value === undefined)
      throw new Error(`outputs.json has no ${key} (it has ${Object.keys(outputs).join(', ')})`);
    return value;
  };
  return { StreamName: named('StreamName'), TableName: named('TableName'), ScoringUrl: named('ScoringUrl') };
}
