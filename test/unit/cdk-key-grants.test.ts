/**
 * Every key grant a role of the stack holds works only through the service that uses the key on the role's
 * behalf (`kms:ViaService`): a function's stolen credentials cannot decrypt or make data keys with KMS directly.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  actionsOf,
  logicalIdOf,
  type PipelineOverrides,
  resourcesOf,
  type Statement,
  type Synthesized,
  statementsOfRole,
  synthesize,
} from '../cdk/synth.js';

/** Every option that adds a key or a role: Iceberg, the ingest API, enhanced fan-out, the SQS failure queue. */
const EVERYTHING: PipelineOverrides = {
  stage: 'prod',
  offlineFormat: 'iceberg',
  ingestApi: true,
  enhancedFanOut: true,
  onFailure: 'sqs',
};

interface KeyGrant {
  readonly role: string;
  readonly key: string;
  readonly actions: string[];
  /** The service in the `kms:ViaService` condition, or undefined when the grant has none. */
  readonly via?: string;
}

/** `{ Fn::Join: ['', ['kinesis.', { Ref: 'AWS::Region' }, '.amazonaws.com']] }` → `kinesis`. */
function serviceOf(condition: unknown): string | undefined {
  const value = (condition as { StringEquals?: Record<string, unknown> } | undefined)?.StringEquals?.[
    'kms:ViaService'
  ];
  const parts = (value as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join']?.[1];
  if (!parts) return undefined;
  const [service, region, suffix] = parts;
  expect(region).toEqual({ Ref: 'AWS::Region' });
  expect(suffix).toBe('.amazonaws.com');
  return String(service).replace(/\.$/, '');
}

/** Every Allow statement on a KMS key, of every role in the template. */
function keyGrants(synth: Synthesized): KeyGrant[] {
  const keys = new Set(Object.keys(resourcesOf(synth.template, 'AWS::KMS::Key')));
  const grants: KeyGrant[] = [];
  for (const role of Object.keys(resourcesOf(synth.template, 'AWS::IAM::Role'))) {
    for (const statement of statementsOfRole(synth.template, role)) {
      if (statement.Effect !== 'Allow') continue;
      const actions = actionsOf(statement).filter((a) => a.startsWith('kms:'));
      if (actions.length === 0) continue;
      for (const key of keysIn(statement)) {
        expect(keys.has(key), `${role} is granted ${key}, which is no key of the stack`).toBe(true);
        grants.push({ role, key, actions, via: serviceOf(statement.Condition) });
      }
    }
  }
  return grants;
}

function keysIn(statement: Statement): string[] {
  const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
  return resources.map((r) => {
    const ref = (r as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
    if (!ref) throw new Error(`a KMS grant on ${JSON.stringify(r)}, not on a key of the stack`);
    return ref[0];
  });
}

/** The service each key of the pipeline is used through. */
function expectedServices(synth: Synthesized): Map<string, string> {
  const { stack, pipeline } = synth;
  const id = (construct: Parameters<typeof logicalIdOf>[1] | undefined) => {
    if (!construct) throw new Error('the pipeline has no such key');
    return logicalIdOf(stack, construct);
  };
  const services = new Map<string, string>([
    [id(pipeline.stream.encryptionKey), 'kinesis'],
    [id(pipeline.onlineStore.encryptionKey), 'dynamodb'],
    [id(pipeline.offlineStore.encryptionKey), 's3'],
    [id(pipeline.featureComputer.sideOutputKey), 's3'],
  ]);
  const queueKey = pipeline.featureComputer.failureQueue?.encryptionMasterKey;
  if (queueKey) services.set(id(queueKey), 'sqs');
  return services;
}

let dev: Synthesized;
let everything: Synthesized;
beforeAll(() => {
  dev = synthesize();
  everything = synthesize(EVERYTHING);
});

describe('kms:ViaService on every key grant of a role', () => {
  for (const [name, synth] of [
    ['dev', () => dev],
    ['prod with every option', () => everything],
  ] as const) {
    it(`fails if a role of the ${name} stack may use a key without going through the key's service`, () => {
      const grants = keyGrants(synth());
      const services = expectedServices(synth());
      expect(grants.length).toBeGreaterThan(0);
      for (const grant of grants) {
        expect({ ...grant, via: grant.via ?? 'none' }).toEqual({
          ...grant,
          via: services.get(grant.key) ?? `a key of no known service (${grant.key})`,
        });
      }
    });
  }

  it('conditions each grant the features role holds: stream via Kinesis, table via DynamoDB, buckets via S3, queue via SQS', () => {
    const role = logicalIdOf(everything.stack, everything.pipeline.featureComputer.handler.role);
    const held = keyGrants(everything).filter((g) => g.role === role);
    expect(held.map((g) => g.via).sort()).toEqual(['dynamodb', 'kinesis', 's3', 'sqs']);
  });

  it('still lets the mapping read the stream (and the enhanced fan-out consumer) with the function role', () => {
    for (const synth of [dev, everything]) {
      const role = logicalIdOf(synth.stack, synth.pipeline.featureComputer.handler.role);
      const actions = statementsOfRole(synth.template, role).flatMap(actionsOf);
      expect(actions).toEqual(
        expect.arrayContaining(['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards']),
      );
    }
    const role = logicalIdOf(everything.stack, everything.pipeline.featureComputer.handler.role);
    const consumer = logicalIdOf(
      everything.stack,
      everything.pipeline.featureComputer.streamConsumer as never,
    );
    const onConsumer = statementsOfRole(everything.template, role).filter((s) =>
      JSON.stringify(s.Resource).includes(consumer),
    );
    expect(onConsumer.flatMap(actionsOf)).toEqual(
      expect.arrayContaining(['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer']),
    );
  });

  it("keeps the event-source mapping's logical id, so that an update does not replace the mapping", () => {
    // The id CDK gave the mapping before the read grant was replaced: a new id would make CloudFormation replace
    // the mapping, which starts reading at LATEST (docs/deploy.md, "Switching enhancedFanOut").
    expect(Object.keys(resourcesOf(dev.template, 'AWS::Lambda::EventSourceMapping'))).toEqual([
      'FeatureComputerHandlerFunctionKinesisEventSourcestreamfeaturesdevStreamB13D6671EAD7E4B2',
    ]);
    const [efo] = Object.keys(resourcesOf(everything.template, 'AWS::Lambda::EventSourceMapping'));
    expect(efo).toMatch(/^FeatureComputerHandlerFunctionKinesisConsumerEventSourcestreamfeaturesprod/);
  });
});
