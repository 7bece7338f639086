import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { afterAll, describe, expect, it } from 'vitest';
import { type AlarmDefinition, localAlarms } from '../../src/cloudwatch/alarms.js';
import { createCloudWatchService } from '../../src/cloudwatch/cloudwatch-service.js';
import { closeServer, listenLocal } from '../../src/http-server.js';

const servers: Array<Parameters<typeof closeServer>[0]> = [];
afterAll(async () => {
  for (const server of servers) await closeServer(server);
});

async function serviceWithClient() {
  const service = createCloudWatchService();
  const listening = await listenLocal((req, res) => service.handle(req, res));
  servers.push(listening.server);
  const client = new CloudWatchClient({
    endpoint: listening.origin,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return { service, client };
}

const alarm = (name: string) =>
  new PutMetricAlarmCommand({
    AlarmName: name,
    Namespace: 'Test/Owners',
    MetricName: 'M',
    Statistic: 'Sum',
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanThreshold',
  });

const deployedAlarm: AlarmDefinition = {
  name: 'deployed',
  arn: 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:deployed',
  metric: { namespace: 'Test/Owners', metricName: 'M', dimensions: [] },
  rule: {
    statistic: 'Sum',
    periodSeconds: 60,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    threshold: 1,
    comparisonOperator: 'GreaterThanThreshold',
    treatMissingData: 'missing',
  },
  actionsEnabled: false,
  alarmActions: [],
  okActions: [],
  insufficientDataActions: [],
  region: 'us-east-1',
  accountId: '000000000000',
  configuredAtMs: 0,
};

describe('alarms put through a CloudWatch service', () => {
  it('stop with the service that put them, and only those', async () => {
    const { service, client } = await serviceWithClient();
    await client.send(alarm('owned-by-api'));
    service.alarms.put(
      { ...deployedAlarm, name: 'owned-by-stack' },
      async () => {},
      () => {},
      'stack/Alarm',
    );
    service.stop();
    expect(service.alarms.find('owned-by-api')).toBeUndefined();
    expect(service.alarms.find('owned-by-stack')).toBeDefined();
    service.alarms.remove('owned-by-stack');
    client.destroy();
  });

  it('keeps each service’s alarms to itself, judged on its own metrics', async () => {
    const first = await serviceWithClient();
    const second = await serviceWithClient();
    // In the period before the current one, which an alarm put now judges at once.
    await first.client.send(
      new PutMetricDataCommand({
        Namespace: 'Test/Owners',
        MetricData: [{ MetricName: 'M', Value: 5, Timestamp: new Date(Date.now() - 60_000) }],
      }),
    );
    await first.client.send(alarm('same-name'));
    await second.client.send(alarm('same-name'));
    const stateIn = async (c: CloudWatchClient) =>
      (await c.send(new DescribeAlarmsCommand({ AlarmNames: ['same-name'] }))).MetricAlarms?.[0]?.StateValue;
    expect(await stateIn(first.client)).toBe('ALARM');
    expect(await stateIn(second.client)).toBe('INSUFFICIENT_DATA');
    expect(localAlarms.find('same-name')).toBeUndefined();
    for (const { service, client } of [first, second]) {
      service.stop();
      client.destroy();
    }
  });

  it('refuses to replace an alarm a stack deployed, naming its resource', async () => {
    const { service, client } = await serviceWithClient();
    const put = alarm('deployed');
    service.alarms.put(
      deployedAlarm,
      async () => {},
      () => {},
      'stack/Alarm',
    );
    await expect(client.send(put)).rejects.toThrow(
      /Alarm deployed belongs to the stack resource stack\/Alarm/,
    );
    service.alarms.remove('deployed');
    service.stop();
    client.destroy();
  });
});
