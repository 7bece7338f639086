import { describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.js';

const COMMANDS = [
  'spec',
  'features',
  'replay',
  'training-set',
  'train',
  'parity',
  'monitor',
  'retrain',
  'backfill',
  'plan',
  'demo',
  'local',
  'init',
];

const run = runCliInProcess;

describe('streamfeatures --help', () => {
  it('lists every command, exit 0', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const result = await run(flag);
      expect(result.code).toBe(0);
      for (const command of COMMANDS) expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });

  it.each(COMMANDS)(
    '%s answers --help and -h with its own usage, exit 0, doing nothing else',
    async (command) => {
      for (const flag of ['--help', '-h']) {
        // Required flags missing, as a user asking for help would have them: help still wins.
        const result = await run(command, flag);
        expect(result).toMatchObject({ code: 0, stderr: '' });
        expect(result.stdout).toMatch(new RegExp(`^usage: streamfeatures ${command} `));
      }
      expect((await run('help', command)).stdout).toMatch(new RegExp(`^usage: streamfeatures ${command} `));
    },
  );

  it.each(['replay', 'training-set', 'train', 'parity', 'monitor', 'demo'])(
    '%s names an unknown option and shows its own usage, exit 2',
    async (command) => {
      const result = await run(command, '--bogus-flag', 'x');
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /^streamfeatures: Unknown option '--bogus-flag'\n\nusage: streamfeatures /,
      );
      expect(result.stderr).toContain(`usage: streamfeatures ${command} `);
    },
  );

  it('names an unknown command and lists the commands, exit 2', async () => {
    const result = await run('respec');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "respec"');
    expect(result.stderr).toContain('  training-set ');
  });
});
