/**
 * The local CloudWatch Logs' data: log groups of log streams of events, in memory, bounded. A group keeps at
 * most `maxEventsPerGroup` events (default 10,000): past that its oldest events (by arrival) are dropped, and
 * `droppedEvents` counts them. Retention (PutRetentionPolicy) is recorded and applied when events are read.
 */

export interface LogEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
  /** Unique in the group, as FilterLogEvents answers it. */
  eventId: string;
}

export interface LogStream {
  readonly name: string;
  readonly creationTime: number;
  readonly events: LogEvent[];
  firstEventTimestamp?: number;
  lastEventTimestamp?: number;
  lastIngestionTime?: number;
  storedBytes: number;
}

export interface LogGroup {
  readonly name: string;
  readonly creationTime: number;
  retentionInDays?: number;
  readonly streams: Map<string, LogStream>;
  /** Streams in the order their events arrived, one entry per event: the oldest is dropped first. */
  readonly arrivals: LogStream[];
  storedBytes: number;
  droppedEvents: number;
}

/** Thrown for a missing group or stream, or one that exists already: the API answers it. */
export class LogStoreError extends Error {
  constructor(
    readonly code:
      | 'ResourceNotFoundException'
      | 'ResourceAlreadyExistsException'
      | 'InvalidParameterException',
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_MAX_EVENTS_PER_GROUP = 10_000;
const DAY_MS = 86_400_000;

export class LogStore {
  readonly groups = new Map<string, LogGroup>();
  private nextEventId = 0;

  constructor(private readonly maxEventsPerGroup: number = DEFAULT_MAX_EVENTS_PER_GROUP) {}

  createGroup(name: string, now = Date.now()): LogGroup {
    if (this.groups.has(name))
      throw new LogStoreError('ResourceAlreadyExistsException', 'The specified log group already exists');
    const group: LogGroup = {
      name,
      creationTime: now,
      streams: new Map(),
      arrivals: [],
      storedBytes: 0,
      droppedEvents: 0,
    };
    this.groups.set(name, group);
    return group;
  }

  group(name: string): LogGroup {
    const group = this.groups.get(name);
    if (group === undefined)
      throw new LogStoreError('ResourceNotFoundException', `The specified log group does not exist: ${name}`);
    return group;
  }

  deleteGroup(name: string): void {
    this.group(name);
    this.groups.delete(name);
  }

  createStream(groupName: string, name: string, now = Date.now()): LogStream {
    const group = this.group(groupName);
    if (group.streams.has(name))
      throw new LogStoreError('ResourceAlreadyExistsException', 'The specified log stream already exists');
    const stream: LogStream = { name, creationTime: now, events: [], storedBytes: 0 };
    group.streams.set(name, stream);
    return stream;
  }

  stream(groupName: string, name: string): LogStream {
    const stream = this.group(groupName).streams.get(name);
    if (stream === undefined)
      throw new LogStoreError(
        'ResourceNotFoundException',
        `The specified log stream does not exist: ${name}`,
      );
    return stream;
  }

  /** Adds events to a stream (creating the group and stream when `create` says so, as Lambda's logging does). */
  append(
    groupName: string,
    streamName: string,
    events: ReadonlyArray<{ timestamp: number; message: string }>,
    options: { create?: boolean; now?: number } = {},
  ): void {
    const now = options.now ?? Date.now();
    let group = this.groups.get(groupName);
    if (group === undefined) {
      if (!options.create) this.group(groupName);
      group = this.createGroup(groupName, now);
    }
    let stream = group.streams.get(streamName);
    if (stream === undefined) {
      if (!options.create) this.stream(groupName, streamName);
      stream = this.createStream(groupName, streamName, now);
    }
    for (const event of events) {
      const bytes = Buffer.byteLength(event.message) + 26;
      stream.events.push({
        timestamp: event.timestamp,
        message: event.message,
        ingestionTime: now,
        eventId: String(this.nextEventId++).padStart(20, '0'),
      });
      stream.storedBytes += bytes;
      group.storedBytes += bytes;
      group.arrivals.push(stream);
      stream.firstEventTimestamp = Math.min(stream.firstEventTimestamp ?? event.timestamp, event.timestamp);
      stream.lastEventTimestamp = Math.max(stream.lastEventTimestamp ?? event.timestamp, event.timestamp);
      stream.lastIngestionTime = now;
    }
    while (group.arrivals.length > this.maxEventsPerGroup) {
      const oldest = group.arrivals.shift() as LogStream;
      const dropped = oldest.events.shift();
      if (dropped === undefined) continue;
      const bytes = Buffer.byteLength(dropped.message) + 26;
      oldest.storedBytes -= bytes;
      group.storedBytes -= bytes;
      group.droppedEvents++;
    }
  }

  /** A stream's events, sorted by timestamp (the order GetLogEvents answers), without expired ones. */
  eventsOf(group: LogGroup, stream: LogStream, now = Date.now()): LogEvent[] {
    const oldest =
      group.retentionInDays === undefined ? Number.NEGATIVE_INFINITY : now - group.retentionInDays * DAY_MS;
    return stream.events.filter((e) => e.timestamp >= oldest).sort((a, b) => a.timestamp - b.timestamp);
  }
}
