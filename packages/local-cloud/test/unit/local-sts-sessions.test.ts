import { describe, expect, it } from 'vitest';
import {
  isIssuedSessionToken,
  issueCredentials,
  roleIdOf,
  sessionOfAccessKey,
  sessionOfToken,
} from '../../src/sts/sessions.js';

const identity = {
  arn: 'arn:aws:sts::000000000000:assumed-role/deploy/s1',
  userId: 'AROAEXAMPLE:s1',
  account: '000000000000',
};

describe('local STS session registry', () => {
  it('knows the tokens it issued until they expire, and no others', () => {
    const now = Date.UTC(2026, 0, 1, 12);
    const issued = issueCredentials(identity, 900, now);
    expect(issued.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(issued.expiration.toISOString()).toBe('2026-01-01T12:15:00.000Z');
    expect(isIssuedSessionToken(issued.sessionToken, now + 899_000)).toBe(true);
    expect(isIssuedSessionToken(issued.sessionToken, now + 900_000)).toBe(false);
    expect(isIssuedSessionToken('made-up', now)).toBe(false);
    expect(sessionOfToken(issued.sessionToken)).toBe(issued);
    expect(sessionOfAccessKey(issued.accessKeyId)).toBe(issued);
  });

  it('issues different credentials each time', () => {
    const a = issueCredentials(identity, 900);
    const b = issueCredentials(identity, 900);
    expect(a.accessKeyId).not.toBe(b.accessKeyId);
    expect(a.secretAccessKey).not.toBe(b.secretAccessKey);
    expect(a.sessionToken).not.toBe(b.sessionToken);
  });

  it('gives each role one stable id', () => {
    const arn = 'arn:aws:iam::000000000000:role/cdk-hnb659fds-deploy-role-000000000000-us-east-1';
    expect(roleIdOf(arn)).toMatch(/^AROA[A-Z2-7]{17}$/);
    expect(roleIdOf(arn)).toBe(roleIdOf(arn));
    expect(roleIdOf(arn)).not.toBe(roleIdOf(`${arn}x`));
  });
});
