/**
 * The AWS query protocol's two halves: form parameters (`Dimensions.member.1.Name=x`) into a nested input
 * (lists from `member.N`, maps from `entry.N.key/value`, every value a string), and an output object into
 * the XML answer (lists as `<member>`, Map as `<entry><key/><value/></entry>`, Date as ISO-8601).
 */

export function decodeQueryParams(params: URLSearchParams): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of params) {
    if (key === 'Action' || key === 'Version') continue;
    const parts = key.split('.');
    let at: Record<string, unknown> = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) at[part] = value;
      else {
        const next = at[part];
        if (next === null || typeof next !== 'object') at[part] = {};
        at = at[part] as Record<string, unknown>;
      }
    });
  }
  return normalize(root) as Record<string, unknown>;
}

function normalize(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  if (keys.length === 1 && (keys[0] === 'member' || keys[0] === 'entry')) {
    const items = object[keys[0]] as Record<string, unknown>;
    const ordered = Object.keys(items)
      .filter((k) => /^\d+$/.test(k))
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => normalize(items[k]));
    if (keys[0] === 'member') return ordered;
    return Object.fromEntries(
      ordered.map((entry) => [
        String((entry as Record<string, unknown>).key),
        (entry as Record<string, unknown>).value,
      ]),
    );
  }
  return Object.fromEntries(keys.map((k) => [k, normalize(object[k])]));
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The XML of one value, as the element `name`. */
export function toXml(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (value instanceof Map) {
    const entries = [...value.entries()]
      .map(([k, v]) => `<entry>${toXml('key', k)}${toXml('value', v)}</entry>`)
      .join('');
    return `<${name}>${entries}</${name}>`;
  }
  if (Array.isArray(value)) return `<${name}>${value.map((v) => toXml('member', v)).join('')}</${name}>`;
  if (typeof value === 'object') {
    const inner = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => toXml(k, v))
      .join('');
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** A query-protocol answer: `<OpResponse><OpResult>…</OpResult><ResponseMetadata/></OpResponse>`. */
export function queryResponseXml(
  operation: string,
  xmlns: string,
  output: Record<string, unknown>,
  requestId: string,
): string {
  const result = Object.entries(output)
    .map(([k, v]) => toXml(k, v))
    .join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${operation}Response xmlns="${xmlns}">` +
    (result === '' ? '' : `<${operation}Result>${result}</${operation}Result>`) +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`
  );
}

export function queryErrorXml(
  xmlns: string,
  code: string,
  message: string,
  requestId: string,
  type: 'Sender' | 'Receiver',
): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${xmlns}"><Error><Type>${type}</Type>` +
    `<Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
