/**
 * A long test as the user at a terminal: the local cloud started with `streamfeatures local up` (the built CLI),
 * the user's environment pointed at it as the README exports it, the CDK CLI, the AWS CLI and the CLI run in that
 * environment with each one's duration kept among the test's figures, and the cloud stopped at the end.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { localClientConfig, userEnv, withoutAwsSettings } from './cdk-cli.js';
import { type CliResult, runCli } from './cli.js';

const run = promisify(execFile);
const MINUTES = 60_000;

export class UserSession {
  /** A session in a new folder under `.tmp/` named `<prefix>-…`, keeping its figures in `figures`. */
  static open(prefix: string, figures: Record<string, number | string> = {}): UserSession {
    mkdirSync('.tmp', { recursive: true });
    return new UserSession(mkdtempSync(resolve(`.tmp/${prefix}-`)), figures);
  }

  private env: NodeJS.ProcessEnv = withoutAwsSettings();
  /** Stacks `deploy` began and `destroy` has not removed: `close` destroys them. */
  private readonly deployedStacks = new Set<string>();
  /** Where `local up` keeps its state, once it succeeded: `local down` stops whatever it started. */
  private stateDir?: string;
  private cloudEndpoint?: string;
  /** The CDK CLI the user types: `cdk`, or `cdklocal` (LocalStack's wrapper over the same CLI). */
  cdkCommand: 'cdk' | 'cdklocal' = 'cdk';

  /**
   * `work`: the test's folder, where the CLI runs and the cloud keeps its state; `figures`: what the test measures,
   * printed at its end, where each command's seconds go under `<label> s`.
   */
  constructor(
    readonly work: string,
    readonly figures: Record<string, number | string> = {},
  ) {}

  /** The local cloud's endpoint; throws before `startLocalCloud`. */
  get endpoint(): string {
    if (this.cloudEndpoint === undefined) throw new Error('the local cloud is not up');
    return this.cloudEndpoint;
  }

  /** What an SDK client needs to reach the local cloud. */
  clientConfig() {
    return localClientConfig(this.endpoint);
  }

  /** Runs a command in the user's environment; rejects with its command line and all it printed. */
  sh = async (label: string, command: string, args: string[], timeoutMinutes = 15) => {
    const started = performance.now();
    try {
      return await run(command, args, {
        env: this.env,
        timeout: timeoutMinutes * MINUTES,
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(
        `${command} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`,
      );
    } finally {
      this.figures[`${label} s`] = ((performance.now() - started) / 1000).toFixed(1);
    }
  };

  /** The built CLI, as `npx streamfeatures` runs it, in `cwd` (default the test's folder); never rejects. */
  streamfeatures = (args: string[], cwd = this.work): Promise<CliResult> =>
    runCli(args, this.env, cwd, 15 * MINUTES);

  /** `streamfeatures local up` on a free port, then the environment pointed at it; resolves with the endpoint. */
  async startLocalCloud(): Promise<string> {
    const stateDir = resolve(this.work, 'local-cloud');
    const up = await this.streamfeatures(['local', 'up', '--port', '0', '--state-dir', stateDir]);
    if (up.code === 0) this.stateDir = stateDir;
    const endpoint = /local cloud up at (http:\/\/127\.0\.0\.1:\d+)/.exec(up.stdout)?.[1];
    if (endpoint === undefined)
      throw new Error(`local up failed (exit ${up.code}):\n${up.stdout}\n${up.stderr}`);
    this.cloudEndpoint = endpoint;
    this.env = {
      ...userEnv(endpoint),
      // As the README exports them: the AWS CLI v1 reads only this one; no pager for a CLI run in a pipe.
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
    };
    return endpoint;
  }

  /** Sets more variables in the user's environment, as `export NAME=value` does, for the commands run after. */
  exportVariables(variables: Record<string, string>): void {
    this.env = { ...this.env, ...variables };
  }

  /** `streamfeatures local down`, when `local up` succeeded; a failure is reported, not thrown (a teardown). */
  async stopLocalCloud(): Promise<void> {
    if (this.stateDir === undefined) return;
    const down = await this.streamfeatures(['local', 'down', '--state-dir', this.stateDir]);
    if (down.code !== 0) console.error(`local down failed: ${down.stdout}\n${down.stderr}`);
  }

  /** `cdk bootstrap` (or `cdklocal bootstrap`), as the README's first deploy does. */
  async bootstrap(): Promise<void> {
    await this.sh('bootstrap', 'npx', [this.cdkCommand, 'bootstrap', '--output', resolve(this.work, 'out0')]);
  }

  /**
   * `cdk deploy` of `stack` with these context values (`-c` each), without approval prompts, as the README's
   * deploy does; its outputs as the CLI's `--outputs-file` holds them. `outDir` is the cloud assembly's folder.
   */
  async deploy<Outputs = Record<string, string>>(
    stack: string,
    context: readonly string[],
    { label = 'deploy', outDir = 'out-deploy' }: { label?: string; outDir?: string } = {},
  ): Promise<Outputs> {
    this.deployedStacks.add(stack);
    const outputsFile = resolve(this.work, 'outputs.json');
    await this.sh(label, 'npx', [
      this.cdkCommand,
      'deploy',
      stack,
      ...context.flatMap((value) => ['-c', value]),
      '--require-approval',
      'never',
      '--outputs-file',
      outputsFile,
      '--output',
      resolve(this.work, outDir),
    ]);
    return (JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, Outputs>)[stack] as Outputs;
  }

  /** `cdk destroy --force` of `stack` (or `cdklocal destroy`). */
  async destroy(stack: string): Promise<void> {
    await this.sh('destroy', 'npx', [
      this.cdkCommand,
      'destroy',
      stack,
      '--force',
      '--output',
      resolve(this.work, 'out-destroy'),
    ]);
    this.deployedStacks.delete(stack);
  }

  /**
   * The teardown: destroys what is still deployed, stops the cloud, prints the figures under `title` and removes
   * the session's folder. A failure is reported, not thrown, so the rest still runs.
   */
  async close(title: string): Promise<void> {
    for (const stack of this.deployedStacks) {
      await this.destroy(stack).catch((error: Error) => console.error(error.message));
    }
    await this.stopLocalCloud();
    console.info(`${title}: ${JSON.stringify(this.figures)}`);
    rmSync(this.work, { recursive: true, force: true });
  }
}
