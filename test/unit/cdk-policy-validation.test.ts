import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ControlTowerChecks } from '../../lib/control-tower-checks.js';
import { CONTROL_TOWER_RULES } from '../../lib/policy-acknowledgements.js';
import { type PipelineOverrides, synthesize } from '../cdk/synth.js';

/** One finding of the Control Tower rules: its control (`CT.S3.PR.9`) and the construct path it concerns. */
interface Finding {
  readonly control: string;
  readonly path: string;
  readonly reason?: string;
  readonly acknowledgedAt?: string;
}

interface ReportedViolation {
  readonly description: string;
  readonly violatingConstructs: { readonly constructPath: string }[];
  readonly reason?: string;
  readonly acknowledgedAt?: string;
}

interface ControlTowerReport {
  /** What fails the synth. */
  readonly findings: Finding[];
  /** What an acknowledgement suppressed, with its reason. */
  readonly acknowledged: Finding[];
  /** The synth's error, when it failed. */
  readonly error?: Error;
}

const PLUGIN = 'cdk-validator-cfnguard';

/**
 * Synthesizes the app again with the Control Tower rules registered as bin/app.ts registers them, and reads the
 * validation report the synth writes (acknowledgements applied). The app runs in memory, where a failing
 * validation throws (under `cdk synth` it prints the report and exits non-zero).
 */
function controlTowerReport(app: App): ControlTowerReport {
  vi.stubEnv('CDK_APP_MODE', 'inmemory');
  Validations.of(app).addPlugins(new ControlTowerChecks());
  let error: Error | undefined;
  try {
    app.synth({ force: true });
  } catch (thrown) {
    error = thrown as Error;
  }
  const reportFile = join(app.outdir, 'validation-report.json');
  if (!existsSync(reportFile)) throw error ?? new Error(`no validation report in ${app.outdir}`);
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
    pluginReports: {
      pluginName: string;
      violations: ReportedViolation[];
      suppressedViolations?: ReportedViolation[];
    }[];
  };
  const ours = report.pluginReports.filter((r) => r.pluginName === PLUGIN);
  const flatten = (violations: ReportedViolation[]): Finding[] =>
    violations.flatMap((v) =>
      v.violatingConstructs.map((c) => ({
        control: /^\[([^\]]+)\]/.exec(v.description)?.[1] ?? v.description,
        path: c.constructPath,
        ...(v.reason === undefined ? {} : { reason: v.reason }),
        ...(v.acknowledgedAt === undefined ? {} : { acknowledgedAt: v.acknowledgedAt }),
      })),
    );
  return {
    findings: ours.flatMap((r) => flatten(r.violations)),
    acknowledged: ours.flatMap((r) => flatten(r.suppressedViolations ?? [])),
    ...(error ? { error } : {}),
  };
}

/** Prod with every option that adds resources switched on. */
const PROD: PipelineOverrides = {
  stage: 'prod',
  offlineFormat: 'iceberg',
  ingestApi: true,
  enhancedFanOut: true,
  onFailure: 'sqs',
  apiAuth: { type: 'jwt', issuer: 'https://auth.example.com/', audience: ['streamfeatures'] },
  model: { backend: 'sagemaker', endpointName: 'Fraud-Model' },
  challenger: { mode: 'split', endpointName: 'Fraud-Challenger', weight: 0.25 },
  alarmEmail: 'oncall@example.com',
};

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('AWS Control Tower proactive controls (cfn-guard)', () => {
  it('finds nothing unacknowledged in the dev stack', () => {
    const { findings, error } = controlTowerReport(synthesize().app);
    expect(findings).toEqual([]);
    expect(error).toBeUndefined();
  }, 120_000);

  it('finds nothing unacknowledged in prod with every option that adds resources', () => {
    const { findings, acknowledged, error } = controlTowerReport(synthesize(PROD).app);
    expect(findings).toEqual([]);
    expect(error).toBeUndefined();
    // Prod keeps logs a year: no retention acknowledgement there, unlike dev.
    expect(acknowledged.filter((f) => f.control === 'CT.CLOUDWATCH.PR.2')).toEqual([]);
  }, 120_000);

  it('reports a log group planted without a key and with two weeks of retention, and fails the synth', () => {
    const { app, stack } = synthesize(PROD);
    new logs.LogGroup(stack, 'Planted', { retention: logs.RetentionDays.TWO_WEEKS });
    const { findings, error } = controlTowerReport(app);
    const path = `${stack.stackName}/Planted/Resource`;
    expect(findings.filter((f) => f.path === path).map((f) => f.control)).toEqual(
      expect.arrayContaining(['CT.CLOUDWATCH.PR.2', 'CT.CLOUDWATCH.PR.3']),
    );
    expect(findings.filter((f) => f.path !== path)).toEqual([]);
    expect(error?.message).toMatch(/CT\.CLOUDWATCH\.PR\.3/);
  }, 120_000);

  it('acknowledges only on the resource concerned, never stack-wide, each with a reason naming its control', () => {
    for (const overrides of [{}, PROD]) {
      const { stack, app } = synthesize(overrides);
      const { acknowledged } = controlTowerReport(app);
      expect(acknowledged.length).toBeGreaterThan(0);
      for (const finding of acknowledged) {
        expect(finding.control in CONTROL_TOWER_RULES, finding.control).toBe(true);
        expect(finding.reason?.startsWith(`${finding.control}: `), finding.reason).toBe(true);
        expect(finding.reason?.length).toBeGreaterThan(40);
        // Acknowledged at the resource or the construct that owns it: two levels at most above it.
        const at = finding.acknowledgedAt ?? '';
        expect(at.startsWith(`${stack.stackName}/`), at).toBe(true);
        expect(finding.path.startsWith(at)).toBe(true);
        expect(finding.path.slice(at.length).split('/').length - 1).toBeLessThanOrEqual(2);
      }
    }
  }, 240_000);
});
