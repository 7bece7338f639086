import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.js';

const FIGURES = new URL('../../bench/results/steady-state.json', import.meta.url).pathname;
const SPEC = new URL('../../examples/fraud/spec.json', import.meta.url).pathname;

const run = runCliInProcess;

const plan = (...extra: string[]) =>
  run('plan', '--spec', SPEC, '--events-per-second', '100000', '--figures', FIGURES, ...extra);

describe('streamfeatures plan', () => {
  it('answers --help with its flags, and is listed among the commands', async () => {
    const help = await run('plan', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: streamfeatures plan --spec S --events-per-second N/);
    for (const flag of [
      '--entities',
      '--window-days',
      '--scoring-rps',
      '--figures',
      '--region',
      '--dynamodb-latency-ms',
      '--lambda-cpu-factor',
      '--json',
    ])
      expect(help.stdout).toContain(flag);
    expect((await run('--help')).stdout).toMatch(/^ {2}plan {2}/m);
  });

  it('prints needs, costs, totals, assumptions and prices for the fraud spec', async () => {
    const result = await plan('--entities', 'card=1e6,merchant=5e4', '--scoring-rps', '1000');
    expect(result.code).toBe(0);
    for (const heading of ['needs', 'cost per month', 'assumptions', 'prices (USD)'])
      expect(result.stdout).toMatch(new RegExp(`^${heading.replace(/[()]/g, '\\$&')}$`, 'm'));
    expect(result.stdout).toMatch(/total per month, DynamoDB on-demand: +\$[\d,]+/);
    // The id ledger's units are the measured ones per event at 100,000 events/s (none under a scoped dedupe).
    const { ledger } = (
      JSON.parse(readFileSync(FIGURES, 'utf8')) as { writeUnitsPerEvent: { ledger: number } }
    ).writeUnitsPerEvent;
    expect(result.stdout).toMatch(
      new RegExp(
        `write units: id ledger: +${Math.round(100_000 * ledger).toLocaleString('en-US')} per second`,
      ),
    );
    expect(result.stdout).toContain('dynamoWriteRequestUnit: $0.625 per 1M x write request unit');
  });

  it("answers --json with the bench's per-event units at the plan's rate", async () => {
    const result = await plan('--json', '--record-bytes', '300', '--writer-events-per-second', '1000');
    const json = JSON.parse(result.stdout) as {
      needs: { name: string; value: number }[];
      figuresFile: string;
    };
    expect(json.figuresFile).toBe(FIGURES);
    const units = json.needs.find((line) => line.name === 'write units')?.value ?? Number.NaN;
    const measured = JSON.parse(readFileSync(FIGURES, 'utf8')) as { writeUnitsPerEvent: { total: number } };
    expect(units / 100_000).toBeCloseTo(measured.writeUnitsPerEvent.total, 12);
    expect(json.needs.find((line) => line.name === 'shards (provisioned)')?.value).toBe(125);
  });

  it("reads the bench's figures file when --figures is not given", async () => {
    const result = await run('plan', '--spec', SPEC, '--events-per-second', '1000', '--json');
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { figuresFile: string }).figuresFile).toBe(FIGURES);
  });

  it('fails naming an entity the spec does not have', async () => {
    const result = await plan('--entities', 'card=1e6,shop=10');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /--entities: "shop" is not an entity of the spec \(card, merchant, card_merchant\)/,
    );
  });

  it('fails naming a rate that is not a positive number', async () => {
    const result = await run('plan', '--spec', SPEC, '--events-per-second', 'lots', '--figures', FIGURES);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--events-per-second must be a positive number (got "lots")');
  });

  it("answers the writer's rate from the bench's model parts at the given DynamoDB latency and CPU factor", async () => {
    const { writer } = JSON.parse(readFileSync(FIGURES, 'utf8')) as {
      writer: { batchSize: number; cpuMsPerEvent: number; roundsPerBatch: number };
    };
    const result = await plan('--dynamodb-latency-ms', '8', '--lambda-cpu-factor', '1.5');
    expect(result.code).toBe(0);
    const batchMs = writer.cpuMsPerEvent * writer.batchSize * 1.5 + writer.roundsPerBatch * 8;
    const rate = Number(((writer.batchSize * 1000) / batchMs).toPrecision(4)).toLocaleString('en-US');
    expect(result.stdout).toContain(`one shard's writer applies ${rate} events/s on AWS, modelled`);
    expect(result.stdout).toContain('DynamoDB latency 8 ms a call (--dynamodb-latency-ms)');
    expect(result.stdout).toContain('Lambda CPU factor 1.5 (--lambda-cpu-factor)');
  });

  it('fails naming a DynamoDB latency or CPU factor that is not a positive number', async () => {
    const latency = await plan('--dynamodb-latency-ms', 'fast');
    expect(latency.code).toBe(2);
    expect(latency.stderr).toContain('--dynamodb-latency-ms must be a positive number (got "fast")');
    const factor = await plan('--lambda-cpu-factor', '0');
    expect(factor.code).toBe(2);
    expect(factor.stderr).toContain('--lambda-cpu-factor must be a positive number (got "0")');
  });

  it('fails for a region whose prices it does not hold', async () => {
    const result = await plan('--region', 'eu-west-1');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--region "eu-west-1": prices are held for us-east-1 only');
  });

  it('fails naming a figures file that is missing', async () => {
    const result = await run(
      'plan',
      '--spec',
      SPEC,
      '--events-per-second',
      '10',
      '--figures',
      '/nonexistent/f.json',
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /cannot read the figures file \/nonexistent\/f\.json \(ENOENT\): run npm run bench/,
    );
  });
});
