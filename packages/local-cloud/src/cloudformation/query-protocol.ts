/**
 * The AWS query protocol CloudFormation speaks (the SDK v3 client, both AWS CLIs): a form-encoded POST with
 * `Action=...&Version=2010-05-15`, lists as `Name.member.N`, maps as `Name.entry.N.key/value`; answers in XML,
 * `<ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>` and errors as `<ErrorResponse>`.
 */

import { randomUUID } from 'node:crypto';

const NAMESPACE = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

/** An error as CloudFormation answers it: `ValidationError` (400) unless said otherwise. */
export class CloudFormationError extends Error {
  constructor(
    message: string,
    readonly code = 'ValidationError',
    readonly status = 400,
  ) {
    super(message);
  }
}

/** The form's fields as a tree: `A.member.2.B=x` becomes `{ A: [undefined, { B: 'x' }] }` (lists in order). */
export function parseQuery(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const parts = key.split('.');
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i] as string;
      const child = node[part];
      if (child === null || typeof child !== 'object') node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts.at(-1) as string] = value;
  }
  return listsOf(root) as Record<string, unknown>;
}

/** `{ member: { 1: a, 2: b } }` → `[a, b]`, at every depth. */
function listsOf(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && (keys[0] === 'member' || keys[0] === 'entry')) {
    const items = record[keys[0]] as Record<string, unknown>;
    if (items !== null && typeof items === 'object') {
      return Object.keys(items)
        .sort((a, b) => Number(a) - Number(b))
        .map((k) => listsOf(items[k]));
    }
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = listsOf(record[key]);
  return out;
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A value as query-protocol XML: objects as elements, arrays as `<member>`s, dates ISO-8601, undefined left out. */
export function toXml(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join('');
  }
  return escapeXml(String(value));
}

export function xmlResponse(action: string, result: unknown): string {
  const body = result === undefined ? '' : `<${action}Result>${toXml(result)}</${action}Result>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${NAMESPACE}">${body}<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
}

export function xmlError(error: CloudFormationError): string {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>${type}</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}
