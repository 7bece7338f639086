/**
 * EventBridge PutEvents (pure over the rules): each entry becomes the event EventBridge builds (`version` "0",
 * `id`, `detail-type`, `source`, `account`, `time`, `region`, `resources`, `detail`) and goes to the rules of its
 * bus whose pattern it matches (rules.ts `putEvent`). An entry EventBridge would refuse fails alone, with AWS's
 * ErrorCode and message (no Source, DetailType or Detail; a Detail that is not a JSON object; a source starting
 * with `aws.`; a bus that does not exist); the others are put. More than 10 entries, or none, is a ValidationException for the request.
 */

import { randomUUID } from 'node:crypto';
import { AwsApiError } from '../services/aws-errors.js';
import type { JsonObject } from '../services/json-protocol.js';
import { DEFAULT_BUS } from './buses.js';
import { busNameOf, type EventRules } from './rules.js';

/** PutEvents takes 1 to 10 entries. */
const MAX_ENTRIES = 10;
/** An entry's size limit (256 KB), as EventBridge counts it (its strings' UTF-8 bytes). */
const MAX_ENTRY_BYTES = 256 * 1024;

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface PutEventsContext {
  readonly region: string;
  readonly accountId: string;
}

export function putEvents(rules: EventRules, input: JsonObject, context: PutEventsContext) {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES)
    throw new AwsApiError(
      'ValidationException',
      `Entries must hold 1 to ${MAX_ENTRIES} entries (got ${Array.isArray(entries) ? entries.length : JSON.stringify(entries)}).`,
    );
  const results = entries.map((entry): EntryResult => putEntry(rules, entry, context));
  return {
    FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length,
    Entries: results,
  };
}

function putEntry(rules: EventRules, entry: unknown, context: PutEventsContext): EntryResult {
  const e = (typeof entry === 'object' && entry !== null ? entry : {}) as JsonObject;
  const required = (name: 'Source' | 'DetailType' | 'Detail'): string | EntryResult => {
    const value = e[name];
    if (typeof value === 'string' && value !== '') return value;
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter ${name} is not valid. Reason: ${name} is a required argument.`,
    };
  };
  const source = required('Source');
  if (typeof source !== 'string') return source;
  const detailType = required('DetailType');
  if (typeof detailType !== 'string') return detailType;
  const detailText = required('Detail');
  if (typeof detailText !== 'string') return detailText;
  let detail: unknown;
  try {
    detail = JSON.parse(detailText);
  } catch {
    detail = undefined;
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail))
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  if (source.startsWith('aws.'))
    return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
  const resources = Array.isArray(e.Resources) ? e.Resources.map(String) : [];
  const size =
    Buffer.byteLength(source) +
    Buffer.byteLength(detailType) +
    Buffer.byteLength(detailText) +
    resources.reduce((n, r) => n + Buffer.byteLength(r), 0);
  if (size > MAX_ENTRY_BYTES)
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `The entry is ${size} bytes: an entry takes at most ${MAX_ENTRY_BYTES}.`,
    };
  const bus = busNameOf(
    typeof e.EventBusName === 'string' && e.EventBusName !== '' ? e.EventBusName : DEFAULT_BUS,
  );
  if (!rules.buses.exists(bus))
    return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${bus} does not exist.` };
  const timeMs = timeOf(e.Time);
  const id = randomUUID();
  const event = {
    version: '0',
    id,
    'detail-type': detailType,
    source,
    account: context.accountId,
    time: new Date(timeMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: context.region,
    resources,
    detail,
  };
  rules.putEvent(bus, event);
  return { EventId: id };
}

/** The entry's Time (epoch seconds in AWS JSON, or an ISO date), else now. */
function timeOf(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value * 1000;
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value);
  return Date.now();
}
