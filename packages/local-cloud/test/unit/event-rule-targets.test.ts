import { describe, expect, it } from 'vitest';
import { type EventRule, ruleArn, scheduledEvent } from '../../src/events/rules.js';
import { SCHEDULE_SCALE_VARIABLE, scheduleScale } from '../../src/events/schedule-timer.js';
import { targetInput } from '../../src/events/target-input.js';

const rule: EventRule = {
  name: 'nightly',
  arn: ruleArn('eu-west-1', '123456789012', 'default', 'nightly'),
  eventBusName: 'default',
  scheduleExpression: 'cron(0 2 * * ? *)',
  region: 'eu-west-1',
  accountId: '123456789012',
  targets: [],
};
const event = scheduledEvent(rule, Date.parse('2026-12-07T02:00:00.250Z'));

describe('the scheduled event', () => {
  it('is the event AWS sends: rule ARN in resources, time without milliseconds, empty detail', () => {
    expect(event).toEqual({
      version: '0',
      id: expect.any(String),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      time: '2026-12-07T02:00:00Z',
      region: 'eu-west-1',
      resources: ['arn:aws:events:eu-west-1:123456789012:rule/nightly'],
      detail: {},
    });
  });

  it('names rules on another bus with the bus in the ARN', () => {
    expect(
      ruleArn('us-east-1', '000000000000', 'arn:aws:events:us-east-1:000000000000:event-bus/ops', 'r'),
    ).toBe('arn:aws:events:us-east-1:000000000000:rule/ops/r');
  });
});

describe('what a target receives', () => {
  it('gets the event itself without Input, InputPath or InputTransformer', () => {
    expect(targetInput({ Id: 't', Arn: 'a' }, event)).toBe(event);
  });

  it('gets Input as the JSON value it holds', () => {
    expect(targetInput({ Id: 't', Arn: 'a', Input: '{"job":"retrain","days":7}' }, event)).toEqual({
      job: 'retrain',
      days: 7,
    });
  });

  it('gets the part InputPath names', () => {
    expect(targetInput({ Id: 't', Arn: 'a', InputPath: '$.resources[0]' }, event)).toBe(rule.arn);
    expect(targetInput({ Id: 't', Arn: 'a', InputPath: '$.detail' }, event)).toEqual({});
  });

  it('gets InputTransformer templates filled: strings as text, other values as JSON', () => {
    const input = targetInput(
      {
        Id: 't',
        Arn: 'a',
        InputTransformer: {
          InputPathsMap: { at: '$.time', from: '$.resources' },
          InputTemplate: '{"note":"fired at <at>","rules":<from>}',
        },
      },
      event,
    );
    expect(input).toEqual({ note: 'fired at 2026-12-07T02:00:00Z', rules: [rule.arn] });
    expect(
      targetInput(
        {
          Id: 't',
          Arn: 'a',
          InputTransformer: { InputPathsMap: { at: '$.time' }, InputTemplate: 'at <at>' },
        },
        event,
      ),
    ).toBe('at 2026-12-07T02:00:00Z');
  });

  it('fails naming an Input that is not JSON, or a path not in dot notation', () => {
    expect(() => targetInput({ Id: 't', Arn: 'a', Input: '{job:1}' }, event)).toThrow(
      /Input "\{job:1\}" is not JSON/,
    );
    expect(() => targetInput({ Id: 't', Arn: 'a', InputPath: "$['detail']" }, event)).toThrow(
      /"\$\['detail'\]" is not in dot notation/,
    );
  });
});

describe('the local schedule scale', () => {
  it('is 1 (AWS timing) unless set, and refuses a value that is not a number from 1 to 3600, naming it', () => {
    expect(scheduleScale({})).toBe(1);
    expect(scheduleScale({ [SCHEDULE_SCALE_VARIABLE]: '60' })).toBe(60);
    expect(() => scheduleScale({ [SCHEDULE_SCALE_VARIABLE]: 'fast' })).toThrow(
      `${SCHEDULE_SCALE_VARIABLE}="fast" is not a number from 1 to 3600`,
    );
    expect(() => scheduleScale({ [SCHEDULE_SCALE_VARIABLE]: '0.5' })).toThrow(/"0.5"/);
  });
});
