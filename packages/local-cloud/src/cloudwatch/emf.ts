/**
 * CloudWatch embedded metric format: a log line `{"_aws": {"Timestamp": ms, "CloudWatchMetrics": [{"Namespace",
 * "Dimensions": [["service", ...]], "Metrics": [{"Name", "Unit"}]}]}, "service": "x", "Name": value, ...}`
 * (what Powertools Metrics prints) becomes samples: one per metric and dimension set, the value a number or a
 * list of numbers at the root under the metric's name. Anything else is not EMF and is ignored.
 */

import type { Dimension, Sample } from './metric-store.js';

export interface EmfSample {
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
  sample: Sample;
}

interface Directive {
  Namespace?: unknown;
  Dimensions?: unknown;
  Metrics?: unknown;
}

export function samplesOfEmfLine(line: string, fallbackTimestamp: number): EmfSample[] {
  const start = line.indexOf('{');
  if (start < 0 || !line.includes('"_aws"')) return [];
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(line.slice(start)) as Record<string, unknown>;
  } catch {
    return [];
  }
  const aws = doc._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (aws === null || typeof aws !== 'object' || !Array.isArray(aws.CloudWatchMetrics)) return [];
  const timestamp = typeof aws.Timestamp === 'number' ? aws.Timestamp : fallbackTimestamp;
  const out: EmfSample[] = [];
  for (const directive of aws.CloudWatchMetrics as Directive[]) {
    if (typeof directive?.Namespace !== 'string' || !Array.isArray(directive.Metrics)) continue;
    const dimensionSets =
      Array.isArray(directive.Dimensions) && directive.Dimensions.length > 0 ? directive.Dimensions : [[]];
    for (const definition of directive.Metrics as Array<{ Name?: unknown; Unit?: unknown }>) {
      if (typeof definition?.Name !== 'string') continue;
      const raw = doc[definition.Name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter(
        (v): v is number => typeof v === 'number' && Number.isFinite(v),
      );
      if (values.length === 0) continue;
      const unit = typeof definition.Unit === 'string' ? definition.Unit : 'None';
      for (const set of dimensionSets as unknown[]) {
        if (!Array.isArray(set)) continue;
        const dimensions = set
          .filter((name): name is string => typeof name === 'string' && doc[name] !== undefined)
          .map((name) => ({ Name: name, Value: String(doc[name]) }));
        out.push({
          namespace: directive.Namespace,
          metricName: definition.Name,
          dimensions,
          sample: {
            timestamp,
            unit,
            sum: values.reduce((a, b) => a + b, 0),
            count: values.length,
            min: Math.min(...values),
            max: Math.max(...values),
            values,
          },
        });
      }
    }
  }
  return out;
}
