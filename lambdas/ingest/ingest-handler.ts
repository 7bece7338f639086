/**
 * The ingest function: an HTTP POST of one JSON event, or `{"records": [events...]}` (up to 500), checked
 * with the engine's rules and put on the Kinesis stream. Invalid events are refused (400) before anything is
 * put; future and late events are accepted, for the pipeline to decide with the arrival time Kinesis gives them.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type CompiledSpec, classify, isRejection } from '../../core/index.js';
import { errorResponse, HttpError, jsonBody, jsonResponse } from '../shared/http.js';
import type { HandlerLogger, HandlerMetrics } from '../shared/observability.js';
import { entryBytes, KINESIS_LIMITS, type StreamEntry, type StreamWriter } from './kinesis-writer.js';

export const MAX_EVENTS_PER_REQUEST = 500;
/** Kinesis partition keys hold up to 256 characters. */
const MAX_PARTITION_KEY_CHARS = 256;

export interface IngestHandlerDeps {
  readonly spec: CompiledSpec;
  readonly stream: StreamWriter;
  readonly logger: HandlerLogger;
  readonly metrics: HandlerMetrics;
  /** @default Date.now */
  readonly now?: () => number;
}

export type IngestHandler = (
  event: APIGatewayProxyEventV2,
  context?: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export function createIngestHandler(deps: IngestHandlerDeps): IngestHandler {
  const now = deps.now ?? Date.now;
  return async (event, context) => {
    if (context) deps.logger.addContext(context);
    try {
      const entries = toEntries(deps.spec, jsonBody(event), now());
      try {
        const put = await deps.stream.put(entries);
        if (put.retriedEntries > 0)
          deps.metrics.addMetric('IngestRetries', MetricUnit.Count, put.retriedEntries);
      } catch (error) {
        deps.metrics.addMetric('IngestErrors', MetricUnit.Count, 1);
        deps.logger.error('PutRecords failed', { records: entries.length, error: errorText(error) });
        throw new HttpError(
          503,
          'the stream did not take every event; send the request again (events with an id are not counted twice)',
        );
      }
      deps.metrics.addMetric('RecordsIngested', MetricUnit.Count, entries.length);
      return jsonResponse(202, { accepted: entries.length });
    } catch (error) {
      if (error instanceof HttpError) {
        if (error.statusCode < 500) deps.metrics.addMetric('IngestRejected', MetricUnit.Count, 1);
        return errorResponse(error);
      }
      deps.metrics.addMetric('IngestErrors', MetricUnit.Count, 1);
      deps.logger.error('ingest failed', { error: errorText(error) });
      return jsonResponse(500, { message: 'internal error' });
    } finally {
      deps.metrics.publishStoredMetrics();
    }
  };
}

const encoder = new TextEncoder();

/**
 * The events of a body, checked and encoded: `{"records": [...]}` (an object whose only field is a `records`
 * array) is a batch; anything else is one event.
 */
export function toEntries(spec: CompiledSpec, body: unknown, arrivalMs: number): StreamEntry[] {
  const isBatch =
    body !== null &&
    typeof body === 'object' &&
    !Array.isArray(body) &&
    Object.keys(body).length === 1 &&
    Array.isArray((body as { records?: unknown }).records);
  const events = isBatch ? ((body as { records: unknown[] }).records as unknown[]) : [body];
  if (events.length === 0) throw new HttpError(400, 'records: send at least one event');
  if (events.length > MAX_EVENTS_PER_REQUEST) {
    throw new HttpError(
      400,
      `records: at most ${MAX_EVENTS_PER_REQUEST} events a request (got ${events.length})`,
    );
  }
  const entity = spec.entities[0];
  return events.map((event, index) => {
    const where = isBatch ? `records[${index}]` : 'event';
    const data = encoder.encode(JSON.stringify(event));
    const result = classify(spec, { data, arrivalMs, shardId: 'ingest', sequenceNumber: String(index) });
    if (isRejection(result) && result.reason === 'invalid') {
      throw new HttpError(400, `${where}: ${result.message} (rule ${result.rule})`, {
        index,
        rule: result.rule,
      });
    }
    // Valid, future or late: the key fields were checked either way.
    const values = (entity?.keyGetters ?? []).map((get) => String(get(event as Record<string, unknown>)));
    const entry = {
      data,
      partitionKey: Array.from(values.join('#')).slice(0, MAX_PARTITION_KEY_CHARS).join(''),
    };
    if (entryBytes(entry) > KINESIS_LIMITS.maxRecordBytes) {
      throw new HttpError(
        400,
        `${where}: ${entryBytes(entry)} bytes, more than a Kinesis record holds (1 MiB)`,
        {
          index,
          rule: 'too-large',
        },
      );
    }
    return entry;
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
