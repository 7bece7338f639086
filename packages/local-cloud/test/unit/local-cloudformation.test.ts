import { describe, expect, it } from 'vitest';
import { changesBetween } from '../../src/cloudformation/changes.js';
import { parseQuery, toXml } from '../../src/cloudformation/query-protocol.js';
import { parseTemplate, s3LocationOf } from '../../src/cloudformation/template-source.js';
import { ParameterStore } from '../../src/ssm/parameter-store.js';

describe('the query protocol', () => {
  it('reads member lists in index order, nested fields included', () => {
    const fields = parseQuery(
      'Action=CreateStack&Parameters.member.2.ParameterKey=B&Parameters.member.1.ParameterKey=A&Parameters.member.1.UsePreviousValue=true&Capabilities.member.1=CAPABILITY_IAM',
    );
    expect(fields).toEqual({
      Action: 'CreateStack',
      Parameters: [{ ParameterKey: 'A', UsePreviousValue: 'true' }, { ParameterKey: 'B' }],
      Capabilities: ['CAPABILITY_IAM'],
    });
  });

  it('writes lists as members, dates as ISO-8601, escapes text and leaves out what is undefined', () => {
    const xml = toXml({ A: [{ K: 'x<y' }], T: new Date(0), U: undefined, B: false });
    expect(xml).toBe('<A><member><K>x&#60;y</K></member></A><T>1970-01-01T00:00:00.000Z</T><B>false</B>');
  });
});

describe('template sources', () => {
  it('maps every S3 URL form to a bucket and key', () => {
    for (const url of [
      'https://s3.us-east-1.amazonaws.com/b/k/t.json',
      'https://b.s3.us-east-1.amazonaws.com/k/t.json',
      'https://b.s3.amazonaws.com/k/t.json',
      's3://b/k/t.json',
      'http://127.0.0.1:4566/b/k/t.json',
    ]) {
      expect([url, s3LocationOf(url)]).toEqual([url, { bucket: 'b', key: 'k/t.json' }]);
    }
  });

  it('reads YAML short forms as their long JSON forms', () => {
    const template = parseTemplate(
      'Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Sub "$' +
        '{AWS::StackName}-q"\n' +
        '      Tags:\n        - Key: a\n          Value: !GetAtt Other.Arn\n',
    );
    expect(template.Resources?.Q?.Properties).toEqual({
      QueueName: { 'Fn::Sub': `$${'{'}AWS::StackName}-q` },
      Tags: [{ Key: 'a', Value: { 'Fn::GetAtt': ['Other', 'Arn'] } }],
    });
  });

  it('fails a template without resources, naming the rule', () => {
    expect(() => parseTemplate('{"Resources": {}}')).toThrow(/At least one Resources member/);
  });
});

describe('change sets', () => {
  it('lists added, modified and removed resources, with the properties that changed', () => {
    const changes = changesBetween(
      { Resources: { A: { Type: 'T', Properties: { X: 1 } }, B: { Type: 'T' } } },
      { Resources: { A: { Type: 'T', Properties: { X: 2 } }, C: { Type: 'T' } } },
      new Map([['A', 'a-1']]),
    );
    expect(changes.map((c) => `${c.ResourceChange.Action} ${c.ResourceChange.LogicalResourceId}`)).toEqual([
      'Modify A',
      'Add C',
      'Remove B',
    ]);
    expect(changes[0]?.ResourceChange.Details.map((d) => d.Target.Name)).toEqual(['X']);
    expect(changes[0]?.ResourceChange.PhysicalResourceId).toBe('a-1');
  });
});

describe('the SSM parameter store', () => {
  it('versions overwrites, refuses one without Overwrite, and lists a path by depth', () => {
    const store = new ParameterStore();
    store.put({ name: '/a/b', value: '1', type: 'String' });
    expect(() => store.put({ name: '/a/b', value: '2' })).toThrow(/already exists/);
    expect(store.put({ name: '/a/b', value: '2', overwrite: true }).version).toBe(2);
    store.put({ name: '/a/c/d', value: '3', type: 'String' });
    expect(store.byPath('/a', false).map((p) => p.name)).toEqual(['/a/b']);
    expect(store.byPath('/a', true).map((p) => p.name)).toEqual(['/a/b', '/a/c/d']);
    expect(() => store.get('/a/x')).toThrow('Parameter /a/x not found.');
    expect(() => store.put({ name: 'a b', value: '1', type: 'String' })).toThrow(/"a b"/);
  });
});
