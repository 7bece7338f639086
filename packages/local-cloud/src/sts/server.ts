/**
 * The local STS (query protocol, API version 2011-06-15): AssumeRole and GetSessionToken issue local temporary
 * credentials (src/sts/sessions.ts); GetCallerIdentity answers who the caller is, the assumed role for
 * credentials it issued, the account root for any other access key (test/test).
 *
 * As AWS does: a RoleArn that is not an IAM role ARN, a RoleSessionName outside `[\w+=,.@-]{2,64}`, or a
 * DurationSeconds out of range is a ValidationError; a session token the local STS did not issue is
 * InvalidClientTokenId (403); an expired one ExpiredToken (400); GetSessionToken with session credentials is
 * AccessDenied. Not emulated: roles need not exist and their trust policies are not checked (local IAM records
 * roles but does not evaluate policies); the other STS actions answer InvalidAction.
 */

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { readBody } from '../http-server.js';
import {
  type IssuedCredentials,
  issueCredentials,
  roleIdOf,
  sessionOfAccessKey,
  sessionOfToken,
} from './sessions.js';

const STS_XML_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
export const LOCAL_ACCOUNT_ID = '000000000000';
const MAX_BODY_BYTES = 256 * 1024;

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

class StsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Answers one STS request. */
export async function answerSts(
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
  now: number = Date.now(),
): Promise<void> {
  const requestId = randomUUID();
  const send = (status: number, xml: string) => {
    (res as ServerResponse).writeHead(status, {
      'content-type': 'text/xml',
      'content-length': `${Buffer.byteLength(xml)}`,
      'x-amzn-requestid': requestId,
    });
    res.end(xml);
  };
  try {
    const body = await readBody(req as IncomingMessage, MAX_BODY_BYTES);
    if (body === undefined)
      throw new StsError(413, 'RequestEntityTooLarge', 'The request body is too large.');
    const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
    for (const [key, value] of new URLSearchParams(body.toString('utf8'))) params.set(key, value);
    const action = params.get('Action') ?? '';
    const caller = callerOf(req, now);
    const result = answer(action, params, caller, now);
    send(
      200,
      `<${action}Response xmlns="${STS_XML_NAMESPACE}"><${action}Result>${result}</${action}Result>` +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
    );
  } catch (error) {
    const e =
      error instanceof StsError
        ? error
        : new StsError(500, 'InternalFailure', error instanceof Error ? error.message : String(error));
    send(
      e.status,
      `<ErrorResponse xmlns="${STS_XML_NAMESPACE}"><Error><Type>${e.status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
        `<Code>${e.code}</Code><Message>${escapeXml(e.message)}</Message></Error>` +
        `<RequestId>${requestId}</RequestId></ErrorResponse>`,
    );
  }
}

/** The caller: the issued credentials it signed with, or undefined for long-term (static) keys. */
function callerOf(req: IncomingMessage | Http2ServerRequest, now: number): IssuedCredentials | undefined {
  const token = headerOf(req, 'x-amz-security-token');
  const accessKey = /Credential=([^/,\s]+)\//.exec(headerOf(req, 'authorization') ?? '')?.[1];
  if (token === undefined) {
    // Temporary access keys are not valid without their token.
    if (accessKey !== undefined && sessionOfAccessKey(accessKey) !== undefined) throw invalidToken();
    return undefined;
  }
  const issued = sessionOfToken(token);
  if (issued === undefined || (accessKey !== undefined && issued.accessKeyId !== accessKey))
    throw invalidToken();
  if (issued.expiration.getTime() <= now) {
    throw new StsError(400, 'ExpiredToken', 'The security token included in the request is expired');
  }
  return issued;
}

function invalidToken(): StsError {
  return new StsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
}

function answer(
  action: string,
  params: URLSearchParams,
  caller: IssuedCredentials | undefined,
  now: number,
): string {
  switch (action) {
    case 'AssumeRole': {
      const roleArn = required(params, 'RoleArn');
      const sessionName = required(params, 'RoleSessionName');
      const role = ROLE_ARN.exec(roleArn);
      if (!role) {
        throw new StsError(
          400,
          'ValidationError',
          `Value '${roleArn}' at 'roleArn' is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`,
        );
      }
      if (!SESSION_NAME.test(sessionName)) {
        throw new StsError(
          400,
          'ValidationError',
          `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and length 2 to 64`,
        );
      }
      const duration = durationOf(params, 3_600, 900, 43_200);
      const [, account, roleName] = role as unknown as [string, string, string];
      const assumedRoleId = `${roleIdOf(roleArn)}:${sessionName}`;
      const arn = `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`;
      const issued = issueCredentials({ arn, userId: assumedRoleId, account }, duration, now);
      return (
        `<AssumedRoleUser><AssumedRoleId>${escapeXml(assumedRoleId)}</AssumedRoleId><Arn>${escapeXml(arn)}</Arn></AssumedRoleUser>` +
        credentialsXml(issued)
      );
    }
    case 'GetSessionToken': {
      if (caller !== undefined) {
        throw new StsError(403, 'AccessDenied', 'Cannot call GetSessionToken with session credentials');
      }
      const duration = durationOf(params, 43_200, 900, 129_600);
      const issued = issueCredentials(
        { arn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:root`, userId: LOCAL_ACCOUNT_ID, account: LOCAL_ACCOUNT_ID },
        duration,
        now,
      );
      return credentialsXml(issued);
    }
    case 'GetCallerIdentity': {
      const who = caller ?? {
        arn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:root`,
        userId: LOCAL_ACCOUNT_ID,
        account: LOCAL_ACCOUNT_ID,
      };
      return `<Arn>${escapeXml(who.arn)}</Arn><UserId>${escapeXml(who.userId)}</UserId><Account>${who.account}</Account>`;
    }
    case '':
      throw new StsError(400, 'MissingAction', 'The request must contain the parameter Action.');
    default:
      throw new StsError(
        400,
        'InvalidAction',
        `Could not find operation ${action} for version 2011-06-15 (the local STS serves AssumeRole, GetSessionToken and GetCallerIdentity)`,
      );
  }
}

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === '') {
    throw new StsError(400, 'MissingParameter', `The request must contain the parameter ${name}`);
  }
  return value;
}

function durationOf(params: URLSearchParams, fallback: number, min: number, max: number): number {
  const text = params.get('DurationSeconds');
  if (text === null) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new StsError(
      400,
      'ValidationError',
      `1 validation error detected: Value '${text}' at 'durationSeconds' failed to satisfy constraint: Member must have value ${value < min ? 'greater than or equal to' : 'less than or equal to'} ${value < min ? min : max}`,
    );
  }
  return value;
}

function credentialsXml(issued: IssuedCredentials): string {
  return (
    `<Credentials><AccessKeyId>${issued.accessKeyId}</AccessKeyId>` +
    `<SecretAccessKey>${escapeXml(issued.secretAccessKey)}</SecretAccessKey>` +
    `<SessionToken>${escapeXml(issued.sessionToken)}</SessionToken>` +
    `<Expiration>${issued.expiration.toISOString()}</Expiration></Credentials>`
  );
}

function headerOf(req: IncomingMessage | Http2ServerRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
