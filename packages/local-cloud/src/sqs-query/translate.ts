/**
 * SQS's query protocol to its JSON protocol and back, pure: form parameters to the JSON request fauxqs
 * understands, its JSON result to the XML answer a query client parses, its JSON error to the XML error.
 */

import { type Member, type Shape, SQS_ACTIONS } from './shapes.js';

export const SQS_XML_NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/';

/** A request the translator refuses, answered as SQS answers it (`Sender` fault, HTTP 400). */
export class QueryRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The action of a query request and its JSON-protocol request body. */
export function jsonRequestOf(params: ReadonlyMap<string, string>): {
  action: string;
  body: Record<string, unknown>;
} {
  const action = params.get('Action');
  if (action === undefined || action === '') {
    throw new QueryRequestError('MissingAction', 'The request must contain the parameter Action.');
  }
  const shape = SQS_ACTIONS[action];
  if (shape === undefined) {
    throw new QueryRequestError('InvalidAction', `The action ${action} is not valid for this endpoint.`);
  }
  return { action, body: readMembers(shape.input, params, '') };
}

function readMembers(
  members: Readonly<Record<string, Member>>,
  params: ReadonlyMap<string, string>,
  prefix: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(members)) {
    let value = readMember(member, params, prefix + (member.query ?? name));
    if (value === undefined && member.alsoQuery !== undefined) {
      value = readMember(member, params, prefix + member.alsoQuery);
    }
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function readMember(shape: Shape, params: ReadonlyMap<string, string>, key: string): unknown {
  switch (shape.kind) {
    case 'string':
    case 'integer':
    case 'boolean': {
      const text = params.get(key);
      return text === undefined ? undefined : scalarOf(shape.kind, text, key);
    }
    case 'structure': {
      const value = readMembers(shape.members, params, `${key}.`);
      return Object.keys(value).length === 0 ? undefined : value;
    }
    case 'list': {
      const indices = indicesOf(params, key);
      if (indices.length === 0) return undefined;
      return indices.map((i) => readMember(shape.member, params, `${key}.${i}`));
    }
    case 'map': {
      const indices = indicesOf(params, key);
      if (indices.length === 0) return undefined;
      const out: Record<string, unknown> = {};
      for (const i of indices) {
        const name = params.get(`${key}.${i}.${shape.key}`);
        if (name === undefined) {
          throw new QueryRequestError(
            'MissingParameter',
            `The request must contain the parameter ${key}.${i}.${shape.key}.`,
          );
        }
        out[name] = readMember(shape.valueShape, params, `${key}.${i}.${shape.value}`) ?? '';
      }
      return out;
    }
  }
}

function scalarOf(kind: 'string' | 'integer' | 'boolean', text: string, key: string): unknown {
  if (kind === 'string') return text;
  if (kind === 'boolean') {
    if (text === 'true' || text === 'false') return text === 'true';
    throw new QueryRequestError(
      'InvalidParameterValue',
      `Value ${text} for parameter ${key} is invalid. Reason: must be true or false.`,
    );
  }
  if (!/^-?\d+$/.test(text)) {
    throw new QueryRequestError(
      'InvalidParameterValue',
      `Value ${text} for parameter ${key} is invalid. Reason: must be an integer.`,
    );
  }
  return Number(text);
}

/** The indices N of `key.N` and `key.N.*` parameters, ascending (clients number from 1, gaps are read too). */
function indicesOf(params: ReadonlyMap<string, string>, key: string): number[] {
  const found = new Set<number>();
  const start = `${key}.`;
  for (const name of params.keys()) {
    if (!name.startsWith(start)) continue;
    const index = /^(\d+)(\.|$)/.exec(name.slice(start.length))?.[1];
    if (index !== undefined) found.add(Number(index));
  }
  return [...found].sort((a, b) => a - b);
}

/** The XML answer of a successful action, from its JSON-protocol result. */
export function xmlResultOf(action: string, result: unknown, requestId: string): string {
  const output = SQS_ACTIONS[action]?.output;
  const body =
    output === undefined
      ? ''
      : `<${action}Result>${writeMembers(output, (result ?? {}) as Record<string, unknown>)}</${action}Result>`;
  return (
    `<?xml version="1.0"?><${action}Response xmlns="${SQS_XML_NAMESPACE}">${body}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

function writeMembers(members: Readonly<Record<string, Member>>, value: Record<string, unknown>): string {
  let xml = '';
  for (const [name, member] of Object.entries(members)) {
    const item = value[name];
    if (item === undefined || item === null) continue;
    const tag = member.query ?? name;
    if (member.kind === 'list') {
      for (const element of item as unknown[])
        xml += `<${tag}>${writeValue(member.member, element)}</${tag}>`;
    } else if (member.kind === 'map') {
      for (const [key, entry] of Object.entries(item as Record<string, unknown>)) {
        xml +=
          `<${tag}><${member.key}>${escapeXml(key)}</${member.key}>` +
          `<${member.value}>${writeValue(member.valueShape, entry)}</${member.value}></${tag}>`;
      }
    } else {
      xml += `<${tag}>${writeValue(member, item)}</${tag}>`;
    }
  }
  return xml;
}

function writeValue(shape: Shape, value: unknown): string {
  if (shape.kind === 'structure')
    return writeMembers(shape.members, (value ?? {}) as Record<string, unknown>);
  return escapeXml(String(value));
}

/**
 * XML text as SQS escapes it: the five markup characters, and carriage returns (a parser would turn a literal
 * CR LF into LF, changing a message body).
 */
export function escapeXml(text: string): string {
  return text.replace(/[<>&'"\r]/g, (c) => (c === '\r' ? '&#xD;' : `&#${c.charCodeAt(0)};`));
}

/** JSON-protocol error names whose query-protocol code differs. */
const QUERY_CODES: Readonly<Record<string, string>> = {
  QueueDoesNotExist: 'AWS.SimpleQueueService.NonExistentQueue',
  QueueNameExists: 'QueueAlreadyExists',
  MessageNotInflight: 'AWS.SimpleQueueService.MessageNotInflight',
  EmptyBatchRequest: 'AWS.SimpleQueueService.EmptyBatchRequest',
  TooManyEntriesInBatchRequest: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
  BatchEntryIdsNotDistinct: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
  InvalidBatchEntryId: 'AWS.SimpleQueueService.InvalidBatchEntryId',
  BatchRequestTooLong: 'AWS.SimpleQueueService.BatchRequestTooLong',
  PurgeQueueInProgress: 'AWS.SimpleQueueService.PurgeQueueInProgress',
  QueueDeletedRecently: 'AWS.SimpleQueueService.QueueDeletedRecently',
  UnsupportedOperation: 'AWS.SimpleQueueService.UnsupportedOperation',
};

/** The query-protocol code of a JSON-protocol error type (`com.amazonaws.sqs#QueueDoesNotExist`). */
export function queryErrorCode(jsonType: string): string {
  const name = jsonType.slice(jsonType.lastIndexOf('#') + 1);
  return QUERY_CODES[name] ?? name;
}

/** SQS's query-protocol error document. */
export function xmlErrorOf(status: number, code: string, message: string, requestId: string): string {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  return (
    `<?xml version="1.0"?><ErrorResponse xmlns="${SQS_XML_NAMESPACE}"><Error><Type>${type}</Type>` +
    `<Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message><Detail/></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
