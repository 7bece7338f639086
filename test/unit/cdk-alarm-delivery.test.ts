import { beforeAll, describe, expect, it } from 'vitest';
import { logicalIdOf, resourcesOf, type Synthesized, synthesize } from '../cdk/synth.js';

interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Principal?: { Service?: string };
  Action: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of a policy document property (throws, failing the test, when there is none). */
function statementsIn(document: unknown): PolicyStatement[] {
  const statements = (document as { Statement?: PolicyStatement[] } | undefined)?.Statement;
  if (statements === undefined) throw new Error(`no policy statements in ${JSON.stringify(document)}`);
  return statements;
}

const actions = (s: PolicyStatement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const fromCloudWatch = (s: PolicyStatement) =>
  s.Effect === 'Allow' && s.Principal?.Service === 'cloudwatch.amazonaws.com';

/** The account and region condition a grant to CloudWatch must carry (this account's alarms only). */
const OWN_ALARMS = {
  StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
  ArnLike: {
    'aws:SourceArn': {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':cloudwatch:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':alarm:*',
        ],
      ],
    },
  },
};

let dev: Synthesized;
beforeAll(() => {
  dev = synthesize();
}, 120_000);

describe('alarms reach the alarm topic', () => {
  it("lets CloudWatch publish to the topic, for this account's alarms only, beside the TLS-only deny", () => {
    const topicId = logicalIdOf(dev.stack, dev.pipeline.monitoring.topic);
    const policies = Object.values(resourcesOf(dev.template, 'AWS::SNS::TopicPolicy')).filter((p) =>
      ((p.Properties?.Topics ?? []) as Array<{ Ref?: string }>).some((t) => t.Ref === topicId),
    );
    expect(policies).toHaveLength(1);
    const statements = statementsIn(policies[0]?.Properties?.PolicyDocument);
    const publish = statements.filter((s) => fromCloudWatch(s) && actions(s).includes('sns:Publish'));
    expect(publish).toHaveLength(1);
    expect(publish[0]?.Condition).toEqual(OWN_ALARMS);
    // The policy replaces SNS's default one: the deny of plain HTTP stays, and nothing else allows publishing.
    expect(statements.some((s) => s.Effect === 'Deny')).toBe(true);
    expect(statements.filter((s) => s.Effect === 'Allow')).toHaveLength(1);
  });

  it('lets CloudWatch use the topic key under the same conditions', () => {
    const keys = Object.values(resourcesOf(dev.template, 'AWS::KMS::Key')).filter((k) =>
      String(k.Properties?.Description).includes('alarm topic'),
    );
    expect(keys).toHaveLength(1);
    const statements = statementsIn(keys[0]?.Properties?.KeyPolicy);
    const grants = statements.filter(fromCloudWatch);
    expect(grants).toHaveLength(1);
    expect(actions(grants[0] as PolicyStatement).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(grants[0]?.Condition).toEqual(OWN_ALARMS);
  });

  it('sends every alarm to the topic on ALARM and on OK', () => {
    const topicId = logicalIdOf(dev.stack, dev.pipeline.monitoring.topic);
    const alarms = Object.entries(resourcesOf(dev.template, 'AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBe(
      Object.keys(dev.pipeline.monitoring.alarms).length +
        Object.keys(dev.pipeline.modelMonitoring?.alarms ?? {}).length,
    );
    for (const [id, alarm] of alarms) {
      expect({ id, actions: alarm.Properties?.AlarmActions }).toEqual({ id, actions: [{ Ref: topicId }] });
      expect({ id, actions: alarm.Properties?.OKActions }).toEqual({ id, actions: [{ Ref: topicId }] });
    }
  });
});

describe('names that are unique where AWS needs them to be', () => {
  it('puts the region in the dashboard name, which is global to the account', () => {
    const dashboards = Object.values(resourcesOf(dev.template, 'AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    expect(JSON.stringify(dashboards[0]?.Properties?.DashboardName)).toContain('AWS::Region');
  });

  it('names each HTTP API after the stack and the construct it fronts', () => {
    const names = Object.values(resourcesOf(dev.template, 'AWS::ApiGatewayV2::Api')).map(
      (a) => a.Properties?.Name,
    );
    expect(names).toEqual(['streamfeatures-dev-ScoringApi']);
  });

  it('alarms once for a record the mapping gives up on (no second alarm on DroppedEventCount)', () => {
    const metrics = Object.values(resourcesOf(dev.template, 'AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties?.MetricName,
    );
    expect(metrics).toContain('OnFailureDestinationDeliveredEventCount');
    expect(metrics).not.toContain('DroppedEventCount');
  });
});
