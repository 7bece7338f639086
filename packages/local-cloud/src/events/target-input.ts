/**
 * What a rule's target receives, as EventBridge builds it: `Input` (a JSON text, sent as that value),
 * `InputPath` (the part of the event a JSON path in dot notation names: `$`, `$.detail`, `$.resources[0]`),
 * `InputTransformer` (each `<name>` of `InputTemplate` replaced by the value its `InputPathsMap` path reads:
 * a string as its text, which inside a JSON string is escaped, anything else as JSON), or else the event.
 */

import type { RuleTarget } from './rules.js';

export function targetInput(target: RuleTarget, event: Record<string, unknown>): unknown {
  if (target.Input !== undefined) {
    try {
      return JSON.parse(target.Input) as unknown;
    } catch {
      throw new Error(`Input ${JSON.stringify(target.Input.slice(0, 200))} is not JSON`);
    }
  }
  if (target.InputPath !== undefined) return readPath(event, target.InputPath);
  const transformer = target.InputTransformer;
  if (transformer !== undefined) {
    const values = Object.fromEntries(
      Object.entries(transformer.InputPathsMap ?? {}).map(([key, path]) => [key, readPath(event, path)]),
    );
    const text = transformer.InputTemplate.replace(/<([\w.-]+)>/g, (whole, key: string) => {
      if (!Object.hasOwn(values, key)) return whole;
      const value = values[key];
      if (value === undefined) return '';
      return typeof value === 'string' ? JSON.stringify(value).slice(1, -1) : JSON.stringify(value);
    });
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // A template that is not JSON is sent as text, as EventBridge sends it.
      return text;
    }
  }
  return event;
}

/** The value at a JSON path in dot notation (`$.a.b`, `$.a[0]`); undefined where it reads nothing. */
function readPath(event: unknown, path: string): unknown {
  if (!/^\$(\.[^.[\]]+|\[\d+\])*$/.test(path))
    throw new Error(`the JSON path ${JSON.stringify(path)} is not in dot notation ($.a.b or $.a[0])`);
  let value: unknown = event;
  for (const match of path.slice(1).matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)) {
    if (value === null || typeof value !== 'object') return undefined;
    const key = match[1] ?? Number(match[2]);
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}
