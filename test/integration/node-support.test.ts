/**
 * The Node versions package.json states, held to: the locked dependencies install on this Node without an engine
 * complaint, and the CLI's output carries no AWS SDK notice about the Node version.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { createTestTable, type DynamoForTests, dynamoForTests } from '../support/dynamodb.js';

const run = promisify(execFile);
const NOTICE = 'NodeVersionSupportWarning';
/** The AWS SDK's documented switch for its notice (aws-sdk-js-v3 issue 7983). */
const SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
const CARD = ['--entity', 'card', '--key', 'card_id=c1'];
const nodeMajor = Number(process.versions.node.split('.')[0]);

/** The environment of a user who has not heard of the switch (the test processes run with it on: vitest.config.ts). */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env[SWITCH];
  return env;
}

describe('supported Node versions', () => {
  it('installs the locked dependencies on this Node with engine-strict, as npm ci would resolve them', async () => {
    // A copy of the manifests (the workspaces' too): a dry run in the checkout itself could touch node_modules.
    const dir = mkdtempSync(join(tmpdir(), 'sf-engines-'));
    try {
      for (const file of ['package.json', 'package-lock.json']) copyFileSync(file, join(dir, file));
      for (const workspace of readdirSync('packages')) {
        mkdirSync(join(dir, 'packages', workspace), { recursive: true });
        copyFileSync(
          join('packages', workspace, 'package.json'),
          join(dir, 'packages', workspace, 'package.json'),
        );
      }
      const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
      const outcome = await run(
        npm,
        [
          'install',
          '--dry-run',
          '--engine-strict',
          '--ignore-scripts',
          '--prefer-offline',
          '--no-audit',
          '--no-fund',
        ],
        { cwd: dir },
      ).then(
        ({ stdout, stderr }) => ({ code: 0, output: `${stdout}${stderr}` }),
        (error: { code: number; stdout: string; stderr: string }) => ({
          code: error.code,
          output: `${error.stdout}${error.stderr}`,
        }),
      );
      expect(outcome.output).not.toContain('EBADENGINE');
      expect(outcome.code, outcome.output.slice(-2_000)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('states a floor in package.json that this Node meets', () => {
    const { engines } = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
    const floor = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(engines.node);
    expect(floor, engines.node).not.toBeNull();
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    const [, wantMajor, wantMinor] = (floor as RegExpExecArray).map(Number) as [number, number, number];
    expect(major > wantMajor || (major === wantMajor && minor >= wantMinor)).toBe(true);
  });
});

describe("the CLI's output on Node 20 and later", () => {
  let dynamo: DynamoForTests;
  let table: string;
  beforeAll(async () => {
    dynamo = await dynamoForTests();
    table = await createTestTable(dynamo.client);
  });
  afterAll(async () => {
    await dynamo?.stop();
  });

  const awsEnv = () =>
    userEnv({
      AWS_ENDPOINT_URL: dynamo.endpoint,
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    });

  it.runIf(nodeMajor < 22)('would print the AWS SDK notice on this Node without the switch', async () => {
    // What the assertion below guards against: a bare SDK client on this Node prints the notice.
    const { stderr } = await run(
      process.execPath,
      ['-e', "new (require('@aws-sdk/client-dynamodb').DynamoDBClient)({ region: 'us-east-1' })"],
      { env: userEnv() },
    );
    expect(stderr).toContain(NOTICE);
  });

  it('prints no AWS SDK notice about the Node version on a command that calls DynamoDB', async () => {
    const result = await runCli(
      ['features', 'get', '--spec', 'examples/fraud/spec.json', '--table', table, ...CARD],
      awsEnv(),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).entities[0].features.card_txn_count_10m).toBe(0);
    expect(result.stderr).not.toContain(NOTICE);
  });

  it("leaves the notice on when the user's environment asks for it", async () => {
    const result = await runCli(
      ['features', 'get', '--spec', 'examples/fraud/spec.json', '--table', table, ...CARD],
      { ...awsEnv(), [SWITCH]: 'false' },
    );
    if (nodeMajor < 22) expect(result.stderr).toContain(NOTICE);
    else expect(result.stderr).not.toContain(NOTICE);
  });
});
