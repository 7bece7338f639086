/**
 * The labels function: `POST /labels` with delayed labels (the monitor's line format, core/monitoring/
 * delayed-labels.ts) as JSON Lines, a JSON array, or one JSON object. Every label is checked with the monitor's own
 * rules before anything is delivered; then each goes, as one JSON line, to the Firehose delivery stream that writes
 * them under the offline bucket's `labels/` prefix, where the monitoring job and `streamfeatures monitor` read them.
 *
 * A request is all or nothing: when any label breaks a rule, none is delivered and the 400 names every bad one
 * (its position and reason). So a client fixes the named labels and sends the same body again, with nothing to
 * carve out of it and nothing delivered twice (a label carries no id a reader could drop a repeat by).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { RecordStreamWriter } from '../../adapters/firehose/record-stream-writer.js';
import type { CompiledSpec } from '../../core/index.js';
import { bodyText, errorResponse, HttpError, jsonResponse, listProblems } from '../shared/http.js';
import type { HandlerLogger, HandlerMetrics } from '../shared/observability.js';
import { checkedLabel, parsedJson } from './label-check.js';

/** Labels a request may carry: as many as events on the events route, and one PutRecordBatch's worth. */
export const MAX_LABELS_PER_REQUEST = 500;

export interface LabelsHandlerDeps {
  readonly spec: CompiledSpec;
  /** Delivers every record or throws. */
  readonly delivery: RecordStreamWriter;
  readonly logger: HandlerLogger;
  readonly metrics: HandlerMetrics;
}

export type LabelsHandler = (
  event: APIGatewayProxyEventV2,
  context?: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** One label the request got wrong: its position among the labels (from 0), its body line (JSON Lines), why. */
export interface LabelRejection {
  readonly index: number;
  readonly line?: number;
  readonly reason: string;
}

export function createLabelsHandler(deps: LabelsHandlerDeps): LabelsHandler {
  return async (event, context) => {
    if (context) deps.logger.addContext(context);
    try {
      const records = labelRecords(deps.spec, bodyText(event));
      try {
        const put = await deps.delivery.put(records);
        if (put.retriedEntries > 0)
          deps.metrics.addMetric('LabelRetries', MetricUnit.Count, put.retriedEntries);
      } catch (error) {
        deps.metrics.addMetric('LabelErrors', MetricUnit.Count, 1);
        deps.logger.error('PutRecordBatch failed', { records: records.length, error: errorText(error) });
        throw new HttpError(
          503,
          'the delivery stream did not take every label; send the request again (a label the monitor already ' +
            'joined counts as a duplicate, not twice)',
        );
      }
      deps.metrics.addMetric('LabelsAccepted', MetricUnit.Count, records.length);
      return jsonResponse(202, { accepted: records.length });
    } catch (error) {
      if (error instanceof HttpError) {
        if (error.statusCode < 500) deps.metrics.addMetric('LabelsRejected', MetricUnit.Count, 1);
        return errorResponse(error);
      }
      deps.metrics.addMetric('LabelErrors', MetricUnit.Count, 1);
      deps.logger.error('labels failed', { error: errorText(error) });
      return jsonResponse(500, { message: 'internal error' });
    } finally {
      deps.metrics.publishStoredMetrics();
    }
  };
}

/**
 * The labels of a body, checked and encoded one JSON line each (newline-terminated: Firehose concatenates the
 * records of an object as they are). The body is one JSON document (an array of labels, or one label), else JSON
 * Lines. Throws a 400 naming every bad label when any is.
 */
export function labelRecords(spec: CompiledSpec, text: string): Uint8Array[] {
  const items = bodyItems(text);
  if (items.length === 0) throw new HttpError(400, 'the body holds no label: send at least one');
  if (items.length > MAX_LABELS_PER_REQUEST) {
    throw new HttpError(
      400,
      `at most ${MAX_LABELS_PER_REQUEST} labels a request (got ${items.length}); send the rest in another`,
    );
  }
  const rejections: LabelRejection[] = [];
  const records: Uint8Array[] = [];
  items.forEach((item, index) => {
    const at = item.line === undefined ? { index } : { index, line: item.line };
    if ('problem' in item) {
      rejections.push({ ...at, reason: item.problem });
      return;
    }
    const checked = checkedLabel(spec, item.value);
    if ('reason' in checked) rejections.push({ ...at, reason: checked.reason });
    else records.push(checked.record);
  });
  if (rejections.length > 0) {
    const named = rejections.map(
      (r) => `${r.line === undefined ? `[${r.index}]` : `line ${r.line}`}: ${r.reason}`,
    );
    throw new HttpError(
      400,
      `${rejections.length} of ${items.length} labels rejected, none delivered: ${listProblems(named)}`,
      { rejected: rejections },
    );
  }
  return records;
}

type BodyItem = { readonly line?: number } & ({ readonly value: unknown } | { readonly problem: string });

/** A JSON array's elements, one JSON document, or else each non-blank line of JSON Lines. */
function bodyItems(text: string): BodyItem[] {
  const whole = parsedJson(text);
  if (!('problem' in whole)) {
    return Array.isArray(whole.value) ? whole.value.map((value) => ({ value })) : [{ value: whole.value }];
  }
  const trimmed = text.trimStart();
  // A body that opens as a document but is not one: its lines are not labels either.
  if (trimmed.startsWith('[')) throw new HttpError(400, `the body is not a JSON array: ${whole.problem}`);
  const items: BodyItem[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    items.push({ line: i + 1, ...parsedJson(line) });
  });
  return items;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
