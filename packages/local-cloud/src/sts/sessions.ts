/**
 * The temporary credentials the local STS issued (AssumeRole, GetSessionToken), kept in this process so the
 * other parts of the local cloud can tell an issued session token from a made-up one, as AWS does.
 */

import { createHash, randomBytes } from 'node:crypto';

export interface IssuedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
  /** Whose credentials they are: `arn:aws:sts::<account>:assumed-role/<role>/<session>`, or the caller's ARN. */
  readonly arn: string;
  /** GetCallerIdentity's UserId: `AROA…:<session>` for a role session. */
  readonly userId: string;
  readonly account: string;
}

const byAccessKey = new Map<string, IssuedCredentials>();
const byToken = new Map<string, IssuedCredentials>();

/** Issues (and remembers) new temporary credentials for `identity`, valid `durationSeconds` from `now`. */
export function issueCredentials(
  identity: { readonly arn: string; readonly userId: string; readonly account: string },
  durationSeconds: number,
  now: number = Date.now(),
): IssuedCredentials {
  forgetExpired(now);
  const issued: IssuedCredentials = {
    ...identity,
    // Temporary access keys start with ASIA, as AWS's do; the rest is base32 like theirs.
    accessKeyId: `ASIA${base32(16)}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: `FwoGZXIvYXdzE${randomBytes(96).toString('base64')}`,
    // AWS states expirations to the second.
    expiration: new Date(Math.floor(now / 1000) * 1000 + durationSeconds * 1000),
  };
  byAccessKey.set(issued.accessKeyId, issued);
  byToken.set(issued.sessionToken, issued);
  return issued;
}

/** True when the local STS issued `token` and it has not expired. */
export function isIssuedSessionToken(token: string, now: number = Date.now()): boolean {
  const issued = byToken.get(token);
  return issued !== undefined && issued.expiration.getTime() > now;
}

/** The credentials `token` belongs to, expired or not; undefined for a token the local STS never issued. */
export function sessionOfToken(token: string): IssuedCredentials | undefined {
  return byToken.get(token);
}

/** The issued credentials of an access key (`ASIA…`), expired or not. */
export function sessionOfAccessKey(accessKeyId: string): IssuedCredentials | undefined {
  return byAccessKey.get(accessKeyId);
}

/** Forgets credentials that expired more than an hour ago (so "expired" can still be told from "invalid"). */
function forgetExpired(now: number): void {
  for (const [key, issued] of byAccessKey) {
    if (issued.expiration.getTime() < now - 3_600_000) {
      byAccessKey.delete(key);
      byToken.delete(issued.sessionToken);
    }
  }
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(length: number): string {
  return Array.from(randomBytes(length), (b) => BASE32[b % 32]).join('');
}

/** A stable unique id for a role (`AROA` + 17 characters), as IAM gives each role one. */
export function roleIdOf(roleArn: string): string {
  const digest = createHash('sha256').update(roleArn).digest();
  return `AROA${Array.from(digest.subarray(0, 17), (b) => BASE32[b % 32]).join('')}`;
}
