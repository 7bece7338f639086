import { readFile } from 'node:fs/promises';
import { loadSpecFile } from '../adapters/files/spec-file.js';
import { parseSteadyStateFigures, type SteadyStateFigures } from '../adapters/plan/figures.js';
import { computePlan, type Plan, type PlanInput, priceText } from '../adapters/plan/plan.js';
import { PRICES } from '../adapters/plan/prices.js';
import { parseDuration } from '../core/duration.js';
import type { Spec } from '../core/index.js';
import { CliError, type CliIO } from './io.js';
import { packagePath } from './package-files.js';

/** Where `npm run bench` writes its steady-state figures, which the plan reads unless told otherwise. */
export const DEFAULT_FIGURES = 'bench/results/steady-state.json';

/** The region whose list prices prices.ts holds. */
const PRICED_REGION = 'us-east-1';

export interface PlanOptions {
  readonly spec: string;
  readonly eventsPerSecond: string;
  readonly entities?: string;
  readonly windowDays?: string;
  readonly scoringRps?: string;
  readonly figures?: string;
  readonly region?: string;
  readonly recordBytes?: string;
  readonly hotKeyShare?: string;
  readonly hotItemBytes?: string;
  readonly writerEventsPerSecond?: string;
  readonly dynamodbLatencyMs?: string;
  readonly lambdaCpuFactor?: string;
  readonly json: boolean;
}

/** `streamfeatures plan`: what a deployment needs and costs a month, from the bench's measured figures. */
export async function planCommand(options: PlanOptions, io: CliIO): Promise<number> {
  const region = options.region ?? PRICED_REGION;
  if (region !== PRICED_REGION)
    throw new CliError(`--region ${JSON.stringify(region)}: prices are held for ${PRICED_REGION} only`, 2);
  const spec = await loadSpecFile(options.spec);
  const figuresFile = options.figures ?? packagePath(DEFAULT_FIGURES);
  const figures = await loadFigures(figuresFile);
  const plan = computePlan(planInput(spec, figures, options));
  io.out(
    options.json
      ? `${JSON.stringify({ figuresFile, ...plan }, null, 2)}\n`
      : renderPlan(plan, options, figuresFile, figures),
  );
  return 0;
}

export async function loadFigures(file: string): Promise<SteadyStateFigures> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read the figures file ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): ` +
        'run npm run bench to measure them, or pass --figures',
    );
  }
  try {
    return parseSteadyStateFigures(text, file);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

export function planInput(spec: Spec, figures: SteadyStateFigures, options: PlanOptions): PlanInput {
  const entities = Object.entries(spec.entities).map(([name, keyFields]) => ({ name, keyFields }));
  const fields = new Set<string>([spec.event.timeField]);
  if (spec.event.idField) fields.add(spec.event.idField);
  for (const field of Object.keys(spec.event.fields ?? {})) fields.add(field);
  for (const { keyFields } of entities) for (const field of keyFields) fields.add(field);
  for (const feature of spec.features) {
    if (feature.field) fields.add(feature.field);
    if (feature.where) fields.add(feature.where.field);
  }
  const horizon = parseDuration(spec.event.dedupeHorizon);
  return {
    entities,
    eventFields: [...fields],
    // Under event.dedupeScope the ids are claimed inside the scope entity's items (measured in their sizes): no ledger.
    dedupeHorizonMs: spec.event.idField && !spec.event.dedupeScope && 'ms' in horizon ? horizon.ms : 0,
    figures,
    eventsPerSecond: positive('--events-per-second', options.eventsPerSecond),
    entityCounts: options.entities === undefined ? undefined : entityCounts(options.entities, spec),
    recordBytes: optional('--record-bytes', options.recordBytes, true),
    scoringRps:
      options.scoringRps === undefined ? undefined : nonNegative('--scoring-rps', options.scoringRps),
    archiveDays: optional('--window-days', options.windowDays),
    hotKeyShare: share(options.hotKeyShare),
    hotItemBytes: optional('--hot-item-bytes', options.hotItemBytes, true),
    writerEventsPerSecond: optional('--writer-events-per-second', options.writerEventsPerSecond),
    dynamodbLatencyMs: optional('--dynamodb-latency-ms', options.dynamodbLatencyMs),
    lambdaCpuFactor: optional('--lambda-cpu-factor', options.lambdaCpuFactor),
  };
}

function positive(flag: string, value: string, whole = false): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || (whole && !Number.isInteger(n)))
    throw new CliError(
      `${flag} must be a positive ${whole ? 'whole ' : ''}number (got ${JSON.stringify(value)})`,
      2,
    );
  return n;
}

function nonNegative(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new CliError(`${flag} must be a number >= 0 (got ${JSON.stringify(value)})`, 2);
  return n;
}

function optional(flag: string, value: string | undefined, whole = false): number | undefined {
  return value === undefined ? undefined : positive(flag, value, whole);
}

function share(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = positive('--hot-key-share', value);
  if (n > 1)
    throw new CliError(`--hot-key-share must be a fraction from 0 to 1 (got ${JSON.stringify(value)})`, 2);
  return n;
}

/** `card=1e6,merchant=5e4`: live keys per entity of the spec. */
export function entityCounts(flag: string, spec: Spec): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const part of flag.split(',')) {
    const [name, value, ...rest] = part.split('=').map((s) => s.trim());
    if (!name || value === undefined || rest.length > 0)
      throw new CliError(`--entities: ${JSON.stringify(part)} is not entity=count`, 2);
    if (!Object.hasOwn(spec.entities, name))
      throw new CliError(
        `--entities: ${JSON.stringify(name)} is not an entity of the spec (${Object.keys(spec.entities).join(', ')})`,
        2,
      );
    counts[name] = positive(`--entities ${name}`, value, true);
  }
  return counts;
}

const usd = (n: number) => `$${n.toLocaleString('en-US', { maximumFractionDigits: n < 100 ? 2 : 0 })}`;
const num = (n: number) => Number(n.toPrecision(4)).toLocaleString('en-US');

export function renderPlan(
  plan: Plan,
  options: PlanOptions,
  figuresFile: string,
  figures: SteadyStateFigures,
): string {
  const out: string[] = [];
  out.push(
    `plan for ${options.spec} at ${num(Number(options.eventsPerSecond))} events/s, ${PRICED_REGION}` +
      ` (figures: ${figuresFile}, measured ${figures.date})`,
    '',
    'needs',
  );
  let section = '';
  for (const line of plan.needs) {
    if (line.section !== section) out.push(`  ${line.section}`);
    section = line.section;
    out.push(
      `    ${`${line.name}:`.padEnd(58)} ${`${num(line.value)} ${line.unit}`.padEnd(34)} = ${line.formula}`,
    );
  }
  out.push('', 'cost per month');
  section = '';
  for (const line of plan.costs) {
    if (line.section !== section) out.push(`  ${line.section}`);
    section = line.section;
    const mode = line.counts === 'both' ? '' : ` [${line.counts}]`;
    out.push(
      `    ${`${line.name}${mode}:`.padEnd(58)} ${usd(line.usdPerMonth).padEnd(14)} = ${line.formula}`,
    );
  }
  out.push(
    '',
    `total per month, DynamoDB on-demand:   ${usd(plan.totals.onDemandUsdPerMonth)}`,
    `total per month, DynamoDB provisioned: ${usd(plan.totals.provisionedUsdPerMonth)}`,
    '(Kinesis provisioned in both totals; the on-demand Kinesis lines are the alternative, in neither)',
    '',
    'assumptions',
    ...plan.assumptions.map((a) => `  - ${a}`),
  );
  if (plan.warnings.length > 0) out.push('', 'warnings', ...plan.warnings.map((w) => `  ! ${w}`));
  out.push(
    '',
    'prices (USD)',
    ...plan.prices.map((name) => `  ${name}: ${priceText(name)}, ${PRICES[name].source}`),
  );
  return `${out.join('\n')}\n`;
}
