/**
 * SSM Parameter Store on the wire: the JSON 1.1 protocol (`X-Amz-Target: AmazonSSM.<Action>`) the SDKs and both
 * AWS CLIs speak. Actions: PutParameter, GetParameter, GetParameters, GetParametersByPath, DescribeParameters,
 * DeleteParameter, DeleteParameters. Anything else answers 400 naming the action. Signatures are not checked.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeServer, listenLocal, readBody, sendJson } from '../http-server.js';
import { type Parameter, type ParameterStore, SsmError } from './parameter-store.js';

const JSON_11 = { 'content-type': 'application/x-amz-json-1.1' };
const MAX_BODY = 1024 * 1024;
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

export interface SsmServer {
  /** `http://127.0.0.1:<port>`, for the gateway's route. */
  readonly origin: string;
  stop(): Promise<void>;
}

type Input = Record<string, unknown>;

function parameterOut(p: Parameter): Record<string, unknown> {
  const path = p.name.startsWith('/') ? p.name : `/${p.name}`;
  return {
    Name: p.name,
    Type: p.type,
    Value: p.value,
    Version: p.version,
    LastModifiedDate: p.lastModified.getTime() / 1000,
    ARN: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${path}`,
    DataType: p.dataType,
  };
}

function page<T>(items: T[], input: Input, max: number): { items: T[]; next?: string } {
  const start = Number(input.NextToken ?? 0) || 0;
  const size = Math.min(Number(input.MaxResults ?? max) || max, max);
  const slice = items.slice(start, start + size);
  return start + size < items.length ? { items: slice, next: String(start + size) } : { items: slice };
}

function stringArg(input: Input, key: string): string {
  const value = input[key];
  if (typeof value !== 'string')
    throw new SsmError('ValidationException', `${key} is required (got ${JSON.stringify(value)}).`);
  return value;
}

/** Answers one action; throws SsmError for what SSM answers as an error. */
export function ssmAction(store: ParameterStore, action: string, input: Input): unknown {
  switch (action) {
    case 'PutParameter': {
      const p = store.put({
        name: stringArg(input, 'Name'),
        value: stringArg(input, 'Value'),
        ...(typeof input.Type === 'string' ? { type: input.Type } : {}),
        overwrite: input.Overwrite === true,
        ...(typeof input.Description === 'string' ? { description: input.Description } : {}),
        ...(typeof input.DataType === 'string' ? { dataType: input.DataType } : {}),
      });
      return { Version: p.version, Tier: p.tier };
    }
    case 'GetParameter':
      return { Parameter: parameterOut(store.get(stringArg(input, 'Name'))) };
    case 'GetParameters': {
      const names = Array.isArray(input.Names) ? input.Names.map(String) : [];
      const found = names.flatMap((n) => {
        const p = store.find(n);
        return p === undefined ? [] : [parameterOut(p)];
      });
      return { Parameters: found, InvalidParameters: names.filter((n) => store.find(n) === undefined) };
    }
    case 'GetParametersByPath': {
      const { items, next } = page(
        store.byPath(stringArg(input, 'Path'), input.Recursive === true),
        input,
        10,
      );
      return { Parameters: items.map(parameterOut), ...(next ? { NextToken: next } : {}) };
    }
    case 'DescribeParameters': {
      const { items, next } = page(store.all(), input, 50);
      return {
        Parameters: items.map((p) => ({
          Name: p.name,
          Type: p.type,
          Version: p.version,
          LastModifiedDate: p.lastModified.getTime() / 1000,
          DataType: p.dataType,
          Tier: p.tier,
          ...(p.description ? { Description: p.description } : {}),
        })),
        ...(next ? { NextToken: next } : {}),
      };
    }
    case 'DeleteParameter':
      store.delete(stringArg(input, 'Name'));
      return {};
    case 'DeleteParameters': {
      const names = Array.isArray(input.Names) ? input.Names.map(String) : [];
      const deleted: string[] = [];
      const invalid: string[] = [];
      for (const name of names) {
        if (store.find(name) === undefined) invalid.push(name);
        else {
          store.delete(name);
          deleted.push(name);
        }
      }
      return { DeletedParameters: deleted, InvalidParameters: invalid };
    }
    default:
      throw new SsmError(
        'InvalidAction',
        `The local SSM does not emulate ${action} (it answers PutParameter, GetParameter, GetParameters, GetParametersByPath, DescribeParameters, DeleteParameter, DeleteParameters).`,
      );
  }
}

/** Serves `store` on 127.0.0.1 (a free port). */
export async function startSsmServer(store: ParameterStore): Promise<SsmServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const body = await readBody(req, MAX_BODY).catch(() => undefined);
    try {
      if (!target.startsWith('AmazonSSM.')) {
        throw new SsmError(
          'UnknownOperationException',
          `Expected an X-Amz-Target of AmazonSSM.<Action> (got ${JSON.stringify(target)}).`,
        );
      }
      if (body === undefined) throw new SsmError('ValidationException', 'The request body is too large.');
      let input: Input;
      try {
        input = body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as Input);
      } catch {
        throw new SsmError('SerializationException', 'The request body is not JSON.');
      }
      sendJson(res, 200, ssmAction(store, target.slice('AmazonSSM.'.length), input), JSON_11);
    } catch (error) {
      const code = error instanceof SsmError ? error.code : 'InternalServerError';
      const status = error instanceof SsmError ? 400 : 500;
      sendJson(
        res,
        status,
        { __type: code, message: (error as Error).message },
        { ...JSON_11, 'x-amzn-errortype': code },
      );
    }
  };
  const { server, origin } = await listenLocal(handle);
  return { origin, stop: () => closeServer(server) };
}
