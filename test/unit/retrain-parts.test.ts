import { describe, expect, it } from 'vitest';
import { placeByRequestId, RetrainLabelError, retrainLabels } from '../../adapters/model/retrain-labels.js';
import { deployCommands } from '../../cli/retrain-command.js';
import {
  type DelayedLabel,
  isLabelProblem,
  parseDelayedLabel,
  type ScoredRequest,
} from '../../core/monitoring/index.js';
import { fraudSpec } from '../support/fraud-training-set.js';

const spec = fraudSpec();
const T = Date.parse('2026-11-01T10:00:00Z');
const DAY = 86_400_000;

function label(body: Record<string, unknown>, source: string): DelayedLabel {
  const parsed = parseDelayedLabel(spec, body, source);
  if (isLabelProblem(parsed)) throw new Error(parsed.reason);
  return parsed;
}

describe('retrainLabels', () => {
  const labels = [
    label(
      { card_id: 'c2', merchant_id: 'm1', ts: T + 2000, event_id: 'e2', label: 1, label_time: T + DAY },
      'l:1',
    ),
    label({ card_id: 'c1', merchant_id: 'm1', ts: T + 1000, label: false, label_time: T + 3 * DAY }, 'l:2'),
    label({ card_id: 'c3', merchant_id: 'm2', ts: T - DAY, event_id: 'e0', label: 0, label_time: T }, 'l:3'),
  ];

  it('keeps the labels whose event time is in the window, in event-time order, as training-set labels', () => {
    const result = retrainLabels(spec, { labels, problems: [] }, { fromMs: T });
    expect(result.outsideWindow).toBe(1);
    expect(result.lines.map((line) => JSON.parse(line))).toEqual([
      { label: 0, card_id: 'c1', merchant_id: 'm1', ts: T + 1000 },
      { label: 1, card_id: 'c2', merchant_id: 'm1', ts: T + 2000, event_id: 'e2' },
    ]);
    expect(result.labelTimes).toEqual([T + 3 * DAY, T + DAY]);
    // A row is named by its event id, else by the label's file:line.
    expect(result.ids).toEqual(['l:2', 'e2']);
    expect(result.labels).toEqual([0, 1]);
    expect(result.entities.map((entity) => entity.name)).toEqual(['card', 'merchant', 'card_merchant']);
  });

  it('leaves out a label delivered twice (same event, label and label_time), keeps a correction', () => {
    const again = label(
      { card_id: 'c2', merchant_id: 'm1', ts: T + 2000, event_id: 'e2', label: 1, label_time: T + DAY },
      'l:9',
    );
    const corrected = label(
      { card_id: 'c2', merchant_id: 'm1', ts: T + 2000, event_id: 'e2', label: 0, label_time: T + 2 * DAY },
      'l:10',
    );
    const result = retrainLabels(
      spec,
      { labels: [...labels, again, corrected], problems: [] },
      { fromMs: T },
    );
    expect(result.repeats).toBe(1);
    expect(result.ids).toEqual(['l:2', 'e2', 'e2']);
    expect(result.labels).toEqual([0, 1, 0]);
    expect(result.labelTimes).toEqual([T + 3 * DAY, T + DAY, T + 2 * DAY]);
  });

  it('joins only the entities every label names', () => {
    const cardOnly = label({ card_id: 'c9', ts: T, label: 1, label_time: T + DAY }, 'l:4');
    const result = retrainLabels(spec, { labels: [...labels, cardOnly], problems: [] });
    expect(result.entities.map((entity) => entity.name)).toEqual(['card']);
    expect(JSON.parse(result.lines[1] as string)).toEqual({ label: 1, card_id: 'c9', ts: T });
  });

  it('fails naming the first bad line, and how many more there are', () => {
    const problems = [
      { source: 'labels.jsonl:7', reason: '"label" must be 0, 1, true or false (got "yes")' },
      { source: 'labels.jsonl:9', reason: 'not JSON' },
    ];
    expect(() => retrainLabels(spec, { labels, problems })).toThrow(
      'labels.jsonl:7: "label" must be 0, 1, true or false (got "yes") (and 1 more bad lines)',
    );
  });

  it('fails on a label named by request id only: its event cannot be replayed', () => {
    const byId = label({ request_id: 'r1', label: 1, label_time: T }, 'l:5');
    expect(() => retrainLabels(spec, { labels: [...labels, byId], problems: [] })).toThrow(RetrainLabelError);
    expect(() => retrainLabels(spec, { labels: [byId], problems: [] })).toThrow(
      'l:5: names its request by request_id only',
    );
  });

  it('fails when no label is in the window', () => {
    expect(() => retrainLabels(spec, { labels, problems: [] }, { fromMs: T + DAY })).toThrow(
      'no label has its event time in the window (3 read)',
    );
  });
});

describe('deployCommands', () => {
  it('names the registry, the champion and the shadow challenger with the app context keys', () => {
    expect(deployCommands('examples/fraud/models', 'fraud-lr-aaaaaaaaaaaa', 'fraud-lr-bbbbbbbbbbbb')).toEqual(
      {
        shadow:
          'npx cdk deploy -c modelRegistry=examples/fraud/models -c modelVersion=fraud-lr-aaaaaaaaaaaa ' +
          `-c 'challenger={"mode":"shadow","version":"fraud-lr-bbbbbbbbbbbb"}'`,
        promote:
          'npx cdk deploy -c modelRegistry=examples/fraud/models -c modelVersion=fraud-lr-bbbbbbbbbbbb',
        rollback:
          'npx cdk deploy -c modelRegistry=examples/fraud/models -c modelVersion=fraud-lr-aaaaaaaaaaaa',
      },
    );
  });

  it("quotes a folder the shell would split, and has nothing to deploy when the new model is the champion's", () => {
    expect(deployCommands("my models/it's", 'm-aaaaaaaaaaaa', 'm-aaaaaaaaaaaa')).toEqual({
      rollback: `npx cdk deploy -c modelRegistry='my models/it'\\''s' -c modelVersion=m-aaaaaaaaaaaa`,
    });
  });
});

describe('placeByRequestId', () => {
  it('gives a label named by request id the keys and time of the logged request, and leaves the others', () => {
    const byId = label({ request_id: 'r7', label: 1, label_time: T + DAY }, 'l:6');
    const unknown = label({ request_id: 'r8', label: 0, label_time: T + DAY }, 'l:7');
    const byKeys = label({ card_id: 'c1', ts: T, label: 0, label_time: T + DAY }, 'l:8');
    const request: ScoredRequest = {
      source: 'log:1',
      requestId: 'r7',
      requestMs: T + 40,
      t: T,
      entities: [
        { entity: 'card', key: { card_id: 'c7' } },
        { entity: 'card_merchant', key: { card_id: 'c7', merchant_id: 'm3' } },
      ],
      features: {},
      score: 0.1,
      modelVersion: 'm',
      variant: 'champion',
      shadowScore: null,
      shadowModelVersion: null,
    };
    const { labels, placed } = placeByRequestId([byId, unknown, byKeys], [request]);
    expect(placed).toBe(1);
    expect(labels[0]).toEqual({ ...byId, keys: { card_id: 'c7', merchant_id: 'm3' }, t: T });
    expect(labels[1]).toBe(unknown);
    expect(labels[2]).toBe(byKeys);
    // The one the log lacks still stops a retrain, saying so.
    expect(() => retrainLabels(spec, { labels, problems: [], featureLogRead: true })).toThrow(
      'l:7: names its request by request_id only, and the feature log has no such request',
    );
  });
});
