import { describe, expect, it } from 'vitest';
import { matchesPattern, parseEventPattern } from '../../src/events/event-pattern.js';

/** An EC2 state-change event, as in EventBridge's documentation of event patterns. */
const event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: {
    'instance-id': 'i-1234567890abcdef0',
    state: 'terminated',
    'c-count': 5,
    'd-count': 0.5,
    location: null,
    note: '',
    tags: ['prod', 'eu'],
    owner: { team: 'fraud', name: 'Alice' },
  },
};

describe('event patterns', () => {
  it.each([
    ['exact source', { source: ['aws.ec2'] }, true],
    ['one of several values', { source: ['aws.s3', 'aws.ec2'] }, true],
    ['another source', { source: ['aws.s3'] }, false],
    ['a nested field', { detail: { state: ['terminated'] } }, true],
    ['two fields, both must match', { source: ['aws.ec2'], detail: { state: ['running'] } }, false],
    ['a number, compared as a number', { detail: { 'c-count': [5.0] } }, true],
    ['a number is not its string', { detail: { 'c-count': ['5'] } }, false],
    ['null matches a null field', { detail: { location: [null] } }, true],
    ['the empty string matches an empty field', { detail: { note: [''] } }, true],
    ['null does not match a missing field', { detail: { missing: [null] } }, false],
    [
      'an element of a list in the event',
      { resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'] },
      true,
    ],
    ['any element of a list in the event', { detail: { tags: ['eu'] } }, true],
    ['prefix', { time: [{ prefix: '2017-12-22' }] }, true],
    ['prefix, not there', { time: [{ prefix: '2018' }] }, false],
    ['suffix', { detail: { 'instance-id': [{ suffix: 'def0' }] } }, true],
    ['equals-ignore-case', { detail: { state: [{ 'equals-ignore-case': 'TERMINATED' }] } }, true],
    ['wildcard', { 'detail-type': [{ wildcard: 'EC2 * Notification' }] }, true],
    ['wildcard, no match', { 'detail-type': [{ wildcard: 'S3 *' }] }, false],
    ['anything-but a value', { detail: { state: [{ 'anything-but': 'initializing' }] } }, true],
    ['anything-but that value', { detail: { state: [{ 'anything-but': 'terminated' }] } }, false],
    ['anything-but a list', { detail: { state: [{ 'anything-but': ['stopped', 'terminated'] }] } }, false],
    ['anything-but a prefix', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, true],
    ['anything-but a suffix', { detail: { state: [{ 'anything-but': { suffix: 'ated' } }] } }, false],
    ['anything-but needs the field', { detail: { missing: [{ 'anything-but': 'x' }] } }, false],
    ['numeric range', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, true],
    ['numeric out of range', { detail: { 'd-count': [{ numeric: ['<', 0.5] }] } }, false],
    ['numeric equal', { detail: { 'd-count': [{ numeric: ['=', 0.5] }] } }, true],
    ['numeric on a string', { detail: { state: [{ numeric: ['>', 0] }] } }, false],
    ['exists true', { detail: { state: [{ exists: true }] } }, true],
    ['exists false on a missing field', { detail: { missing: [{ exists: false }] } }, true],
    ['exists false on a present field', { detail: { state: [{ exists: false }] } }, false],
    ['exists true on an object is false', { detail: { owner: [{ exists: true }] } }, false],
    ['a nested object', { detail: { owner: { team: ['fraud'] } } }, true],
    ['$or, one alternative matches', { $or: [{ source: ['aws.s3'] }, { detail: { 'c-count': [5] } }] }, true],
    [
      '$or, none matches',
      { detail: { $or: [{ state: ['running'] }, { 'c-count': [{ numeric: ['>', 10] }] }] } },
      false,
    ],
    ['a field of a missing object', { nothing: { state: ['terminated'] } }, false],
  ])('%s', (_what, pattern, expected) => {
    expect(matchesPattern(parseEventPattern(JSON.stringify(pattern)), event)).toBe(expected);
  });

  it.each([
    ['{"source": [', /EventPattern is not valid JSON/],
    ['{}', /EventPattern must be a non-empty JSON object/],
    [
      '{"source": "aws.ec2"}',
      /EventPattern source must be a list of values or matchers, or an object \(got "aws.ec2"\)/,
    ],
    ['{"source": []}', /EventPattern source is an empty list/],
    [
      '{"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}',
      /detail.ip: the matcher "cidr" is not supported by the local cloud/,
    ],
    [
      '{"source": [{"prefix": {"equals-ignore-case": "AWS"}}]}',
      /prefix with "equals-ignore-case" inside is not supported/,
    ],
    ['{"source": [{"numeric": [">>", 1]}]}', /numeric ">>" 1 is not an operator/],
    ['{"source": [{"exists": "yes"}]}', /exists takes true or false/],
    ['{"source": [{"prefix": "a", "suffix": "b"}]}', /a matcher has exactly one key/],
    ['{"$or": [{"source": ["a"]}]}', /\$or must be a list of at least two patterns/],
  ])('refuses %s, saying why', (pattern, message) => {
    expect(() => parseEventPattern(pattern)).toThrow(message);
  });
});
