import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, describe, expect, it } from 'vitest';
import { localAlarms } from '../../src/cloudwatch/alarms.js';
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

describe('alarms put through a CloudWatch service', () => {
  it('stop with the service that put them, and only those', async () => {
    const first = await serviceWithClient();
    const second = await serviceWithClient();
    await first.client.send(alarm('owned-by-first'));
    await second.client.send(alarm('owned-by-second'));
    first.service.stop();
    expect(localAlarms.find('owned-by-first')).toBeUndefined();
    expect(localAlarms.find('owned-by-second')).toBeDefined();
    second.service.stop();
    expect(localAlarms.find('owned-by-second')).toBeUndefined();
    for (const c of [first.client, second.client]) c.destroy();
  });

  it('refuses to replace an alarm a stack deployed, naming its resource', async () => {
    const { service, client } = await serviceWithClient();
    const put = alarm('deployed');
    localAlarms.put(
      {
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
      },
      async () => {},
      () => {},
      'stack/Alarm',
    );
    await expect(client.send(put)).rejects.toThrow(
      /Alarm deployed belongs to the stack resource stack\/Alarm/,
    );
    localAlarms.remove('deployed');
    service.stop();
    client.destroy();
  });
});
