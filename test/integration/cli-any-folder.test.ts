import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cdkCli, packageRoot } from '../../cli/package-files.js';
import { runCli } from '../support/cli.js';

/** A folder that is not this repository and holds nothing of it. */
const elsewhere = mkdtempSync(join(tmpdir(), 'streamfeatures-elsewhere-'));

describe('the CLI from another folder', () => {
  it('finds its own files and tools from the package, not the working directory', () => {
    expect(packageRoot()).toBe(realpathSync(resolve('.')));
    expect(cdkCli()).toBe(join(packageRoot(), 'node_modules', 'aws-cdk', 'bin', 'cdk'));
  });

  it('runs the in-process demo (the fraud spec shipped with the package), exit 0', async () => {
    const result = await runCli(['demo', '--in-process', '--events', '200'], undefined, elsewhere);
    expect(result.stderr).not.toContain('ENOENT');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/parity +\d+ of \d+ sampled keys equal online and offline/);
  });

  it('answers --help and checks a spec given by an absolute path', async () => {
    expect((await runCli(['--help'], undefined, elsewhere)).code).toBe(0);
    const check = await runCli(['spec', 'check', resolve('examples/fraud/spec.json')], undefined, elsewhere);
    expect(check).toMatchObject({ code: 0 });
  });
});
