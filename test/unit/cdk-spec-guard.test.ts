import { describe, expect, it } from 'vitest';
import { appContext } from '../../lib/config.js';
import { logicalIdOf, resourcesOf, statementsOfRole, synthesize } from '../cdk/synth.js';

const dev = synthesize({ ingestApi: true });
const planned = synthesize({ backfillPlanned: true });
const guardOf = (s: typeof dev) => logicalIdOf(s.stack, s.pipeline.specGuard.resource);

describe('the spec guard in the template', () => {
  it('makes every function that runs the spec, and the features mapping, wait for the guard', () => {
    const guard = guardOf(dev);
    const waiting = [
      ...Object.entries(resourcesOf(dev.template, 'AWS::Lambda::Function')),
      ...Object.entries(resourcesOf(dev.template, 'AWS::Lambda::EventSourceMapping')),
    ]
      .filter(([, r]) => ([r.DependsOn ?? []] as unknown[]).flat().includes(guard))
      .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''));
    expect(waiting.sort()).toEqual([
      'FeatureComputerHandlerFunction',
      'FeatureComputerHandlerFunctionKinesisEventSourcestreamfeaturesdevStreamB13D6671',
      'IngestApiHandlerFunction',
      'IngestApiLabelsHandlerFunction',
      'ModelMonitoringHandlerFunction',
      'ScoringApiHandlerFunction',
    ]);
  });

  it('carries the spec, the table and the raw archive, and the flag (false unless set)', () => {
    const props = (s: typeof dev) =>
      resourcesOf(s.template, 'Custom::StreamfeaturesSpecGuard')[guardOf(s)]?.Properties as Record<
        string,
        unknown
      >;
    expect(JSON.parse(props(dev).Spec as string)).toEqual(dev.pipeline.spec);
    expect(props(dev).BackfillPlanned).toBe('false');
    expect(props(planned).BackfillPlanned).toBe('true');
    expect(props(dev).TableName).toEqual({ Ref: logicalIdOf(dev.stack, dev.pipeline.onlineStore.table) });
    expect(JSON.stringify(props(dev).RawArchive)).toContain('/raw/');
  });

  it('reads backfillPlanned from the context (-c backfillPlanned=true), and refuses a value that is no boolean', () => {
    expect(appContext({ stage: 'dev', specFile: 's.json', backfillPlanned: 'true' }).overrides).toEqual({
      backfillPlanned: true,
    });
    expect(() => appContext({ stage: 'dev', specFile: 's.json', backfillPlanned: 'yes' })).toThrow(
      /backfillPlanned: must be true or false \(got "yes"\)/,
    );
  });

  it("gives the guard's function no permission beyond its own logs and traces", () => {
    const role = logicalIdOf(dev.stack, dev.pipeline.specGuard.handler.role);
    const actions = statementsOfRole(dev.template, role)
      .flatMap((s) => [s.Action].flat())
      .sort();
    expect(actions).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });
});
