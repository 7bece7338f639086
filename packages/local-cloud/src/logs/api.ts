/** CloudWatch Logs' JSON 1.1 operations (`X-Amz-Target: Logs_20140328.<Operation>`) over a LogStore. */

import { AwsApiError } from '../services/aws-errors.js';
import {
  type JsonObject,
  type Operation,
  optionalNumber,
  optionalString,
  requiredString,
} from '../services/json-protocol.js';
import { compileFilterPattern, FilterPatternError } from './filter-pattern.js';
import { type LogGroup, type LogStore, LogStoreError, type LogStream } from './log-store.js';

export const LOGS_TARGET_PREFIX = 'Logs_20140328.';

/** The values PutRetentionPolicy accepts. */
const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
const MAX_PUT_EVENTS = 10_000;
const MAX_PUT_BYTES = 1_048_576;
const DAY_MS = 86_400_000;

export interface LogsApiContext {
  store: LogStore;
  region: string;
  accountId: string;
}

/** Wraps each operation so the store's errors answer as the API's. */
export function logsOperations(context: LogsApiContext): Record<string, Operation> {
  const operations = createOperations(context);
  return Object.fromEntries(
    Object.entries(operations).map(([name, operation]) => [
      name,
      async (input: JsonObject) => {
        try {
          return await operation(input);
        } catch (error) {
          if (error instanceof LogStoreError) throw new AwsApiError(error.code, error.message);
          if (error instanceof FilterPatternError)
            throw new AwsApiError('InvalidParameterException', error.message);
          throw error;
        }
      },
    ]),
  );
}

function createOperations({ store, region, accountId }: LogsApiContext): Record<string, Operation> {
  const groupArn = (name: string) => `arn:aws:logs:${region}:${accountId}:log-group:${name}`;
  const groupName = (input: JsonObject) =>
    optionalString(input, 'logGroupName') ??
    // logGroupIdentifier: a name or an ARN (`...:log-group:<name>[:*]`).
    requiredString(input, 'logGroupIdentifier')
      .replace(/^arn:[^:]+:logs:[^:]*:[^:]*:log-group:/, '')
      .replace(/:\*$/, '');
  const page = <T>(
    items: T[],
    input: JsonObject,
    defaultLimit: number,
  ): { items: T[]; nextToken?: string } => {
    const limit = optionalNumber(input, 'limit') ?? defaultLimit;
    const start = decodeOffset(optionalString(input, 'nextToken'));
    const slice = items.slice(start, start + limit);
    return {
      items: slice,
      ...(start + limit < items.length ? { nextToken: encodeOffset(start + limit) } : {}),
    };
  };

  const describeGroup = (group: LogGroup) => ({
    logGroupName: group.name,
    creationTime: group.creationTime,
    ...(group.retentionInDays === undefined ? {} : { retentionInDays: group.retentionInDays }),
    metricFilterCount: 0,
    arn: `${groupArn(group.name)}:*`,
    logGroupArn: groupArn(group.name),
    storedBytes: group.storedBytes,
    logGroupClass: 'STANDARD',
  });
  const describeStream = (group: LogGroup, stream: LogStream) => ({
    logStreamName: stream.name,
    creationTime: stream.creationTime,
    ...(stream.firstEventTimestamp === undefined
      ? {}
      : {
          firstEventTimestamp: stream.firstEventTimestamp,
          lastEventTimestamp: stream.lastEventTimestamp,
          lastIngestionTime: stream.lastIngestionTime,
        }),
    arn: `${groupArn(group.name)}:log-stream:${stream.name}`,
    storedBytes: stream.storedBytes,
  });

  return {
    CreateLogGroup(input) {
      store.createGroup(requiredString(input, 'logGroupName'));
      return {};
    },
    DeleteLogGroup(input) {
      store.deleteGroup(requiredString(input, 'logGroupName'));
      return {};
    },
    CreateLogStream(input) {
      store.createStream(requiredString(input, 'logGroupName'), requiredString(input, 'logStreamName'));
      return {};
    },
    DeleteLogStream(input) {
      const group = store.group(requiredString(input, 'logGroupName'));
      const name = requiredString(input, 'logStreamName');
      store.stream(group.name, name);
      group.streams.delete(name);
      return {};
    },
    PutRetentionPolicy(input) {
      const group = store.group(requiredString(input, 'logGroupName'));
      const days = optionalNumber(input, 'retentionInDays');
      if (days === undefined || !RETENTION_DAYS.includes(days)) {
        throw new AwsApiError(
          'InvalidParameterException',
          `1 validation error detected: Value '${days}' at 'retentionInDays' failed to satisfy constraint: ` +
            `Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`,
        );
      }
      group.retentionInDays = days;
      return {};
    },
    DeleteRetentionPolicy(input) {
      delete store.group(requiredString(input, 'logGroupName')).retentionInDays;
      return {};
    },
    DescribeLogGroups(input) {
      const prefix = optionalString(input, 'logGroupNamePrefix') ?? '';
      const pattern = optionalString(input, 'logGroupNamePattern');
      const groups = [...store.groups.values()]
        .filter((g) => g.name.startsWith(prefix) && (pattern === undefined || g.name.includes(pattern)))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const { items, nextToken } = page(groups, input, 50);
      return { logGroups: items.map(describeGroup), ...(nextToken ? { nextToken } : {}) };
    },
    DescribeLogStreams(input) {
      const group = store.group(groupName(input));
      const prefix = optionalString(input, 'logStreamNamePrefix') ?? '';
      const orderBy = optionalString(input, 'orderBy') ?? 'LogStreamName';
      if (orderBy === 'LastEventTime' && prefix !== '') {
        throw new AwsApiError(
          'InvalidParameterException',
          'Cannot order by LastEventTime with a logStreamNamePrefix.',
        );
      }
      const streams = [...group.streams.values()].filter((s) => s.name.startsWith(prefix));
      streams.sort((a, b) =>
        orderBy === 'LastEventTime'
          ? (a.lastEventTimestamp ?? 0) - (b.lastEventTimestamp ?? 0)
          : a.name < b.name
            ? -1
            : a.name > b.name
              ? 1
              : 0,
      );
      if (input.descending === true) streams.reverse();
      const { items, nextToken } = page(streams, input, 50);
      return { logStreams: items.map((s) => describeStream(group, s)), ...(nextToken ? { nextToken } : {}) };
    },
    PutLogEvents(input) {
      const name = requiredString(input, 'logGroupName');
      const streamName = requiredString(input, 'logStreamName');
      store.stream(name, streamName);
      const events = input.logEvents;
      if (!Array.isArray(events) || events.length === 0 || events.length > MAX_PUT_EVENTS) {
        throw new AwsApiError(
          'InvalidParameterException',
          `logEvents must hold 1 to ${MAX_PUT_EVENTS} events`,
        );
      }
      let bytes = 0;
      let previous = Number.NEGATIVE_INFINITY;
      const parsed = events.map((event, i) => {
        const e = (event ?? {}) as JsonObject;
        if (typeof e.timestamp !== 'number' || typeof e.message !== 'string') {
          throw new AwsApiError(
            'InvalidParameterException',
            `logEvents.${i + 1} needs a number timestamp and a string message`,
          );
        }
        if (e.timestamp < previous) {
          throw new AwsApiError(
            'InvalidParameterException',
            'Log events in a single PutLogEvents request must be in chronological order.',
          );
        }
        previous = e.timestamp;
        bytes += Buffer.byteLength(e.message) + 26;
        return { timestamp: e.timestamp, message: e.message };
      });
      if (bytes > MAX_PUT_BYTES) {
        throw new AwsApiError(
          'InvalidParameterException',
          `The batch holds ${bytes} bytes (events + 26 bytes each): at most ${MAX_PUT_BYTES}`,
        );
      }
      // As AWS: events more than 14 days old or 2 hours ahead are rejected, the others kept.
      const now = Date.now();
      const tooOld = parsed.findLastIndex((e) => e.timestamp < now - 14 * DAY_MS);
      const tooNew = parsed.findIndex((e) => e.timestamp > now + 2 * 3_600_000);
      const kept = parsed.slice(tooOld + 1, tooNew === -1 ? undefined : tooNew);
      if (kept.length > 0) store.append(name, streamName, kept, { now });
      return {
        nextSequenceToken: String(now).padStart(56, '0'),
        ...(tooOld >= 0 || tooNew >= 0
          ? {
              rejectedLogEventsInfo: {
                ...(tooOld >= 0 ? { tooOldLogEventEndIndex: tooOld } : {}),
                ...(tooNew >= 0 ? { tooNewLogEventStartIndex: tooNew } : {}),
              },
            }
          : {}),
      };
    },
    GetLogEvents(input) {
      const group = store.group(groupName(input));
      const stream = store.stream(group.name, requiredString(input, 'logStreamName'));
      const startTime = optionalNumber(input, 'startTime') ?? Number.NEGATIVE_INFINITY;
      const endTime = optionalNumber(input, 'endTime') ?? Number.POSITIVE_INFINITY;
      const limit = Math.min(optionalNumber(input, 'limit') ?? 10_000, 10_000);
      const events = store
        .eventsOf(group, stream)
        .filter((e) => e.timestamp >= startTime && e.timestamp < endTime);
      const token = optionalString(input, 'nextToken');
      let from: number;
      let to: number;
      const move = token === undefined ? undefined : /^([fb])\/(\d+)$/.exec(token);
      if (token !== undefined && !move)
        throw new AwsApiError('InvalidParameterException', `The specified nextToken is invalid: ${token}`);
      if (move?.[1] === 'f' || (move === undefined && input.startFromHead === true)) {
        from = Math.min(Number(move?.[2] ?? 0), events.length);
        to = Math.min(events.length, from + limit);
      } else {
        to = Math.min(Number(move?.[2] ?? events.length), events.length);
        from = Math.max(0, to - limit);
      }
      return {
        events: events
          .slice(from, to)
          .map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime })),
        nextForwardToken: `f/${String(to).padStart(56, '0')}`,
        nextBackwardToken: `b/${String(from).padStart(56, '0')}`,
      };
    },
    FilterLogEvents(input) {
      const group = store.group(groupName(input));
      const names = input.logStreamNames;
      const prefix = optionalString(input, 'logStreamNamePrefix');
      if (Array.isArray(names) && prefix !== undefined) {
        throw new AwsApiError(
          'InvalidParameterException',
          'logStreamNames and logStreamNamePrefix cannot both be given.',
        );
      }
      const streams = [...group.streams.values()].filter(
        (s) =>
          (!Array.isArray(names) || names.includes(s.name)) &&
          (prefix === undefined || s.name.startsWith(prefix)),
      );
      const startTime = optionalNumber(input, 'startTime') ?? Number.NEGATIVE_INFINITY;
      const endTime = optionalNumber(input, 'endTime') ?? Number.POSITIVE_INFINITY;
      const limit = Math.min(optionalNumber(input, 'limit') ?? 10_000, 10_000);
      const matches = compileFilterPattern(optionalString(input, 'filterPattern'));
      const after = decodeEventToken(optionalString(input, 'nextToken'));
      const found = streams
        .flatMap((stream) =>
          store
            .eventsOf(group, stream)
            .filter((e) => e.timestamp >= startTime && e.timestamp <= endTime && matches(e.message))
            .map((e) => ({ stream: stream.name, event: e })),
        )
        .sort((a, b) => a.event.timestamp - b.event.timestamp || (a.event.eventId < b.event.eventId ? -1 : 1))
        .filter(
          ({ event }) =>
            after === undefined ||
            event.timestamp > after.timestamp ||
            (event.timestamp === after.timestamp && event.eventId > after.eventId),
        );
      const events = found.slice(0, limit);
      const last = events.at(-1)?.event;
      return {
        events: events.map(({ stream, event }) => ({
          logStreamName: stream,
          timestamp: event.timestamp,
          message: event.message,
          ingestionTime: event.ingestionTime,
          eventId: event.eventId,
        })),
        searchedLogStreams: streams.map((s) => ({ logStreamName: s.name, searchedCompletely: true })),
        ...(found.length > limit && last
          ? { nextToken: encodeEventToken(last.timestamp, last.eventId) }
          : {}),
      };
    },
  };
}

function encodeOffset(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

function decodeOffset(token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const offset = (JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown }).offset;
    if (typeof offset === 'number' && offset >= 0) return offset;
  } catch {}
  throw new AwsApiError('InvalidParameterException', `The specified nextToken is invalid: ${token}`);
}

function encodeEventToken(timestamp: number, eventId: string): string {
  return Buffer.from(JSON.stringify({ timestamp, eventId })).toString('base64');
}

function decodeEventToken(token: string | undefined): { timestamp: number; eventId: string } | undefined {
  if (token === undefined) return undefined;
  try {
    const value = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
      timestamp?: unknown;
      eventId?: unknown;
    };
    if (typeof value.timestamp === 'number' && typeof value.eventId === 'string')
      return { timestamp: value.timestamp, eventId: value.eventId };
  } catch {}
  throw new AwsApiError('InvalidParameterException', `The specified nextToken is invalid: ${token}`);
}
