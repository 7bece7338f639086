/**
 * CloudWatch metric math (pure): evaluates an expression parsed by metric-math-parse.ts over time series keyed by period start, as CloudWatch does for metric-math alarms and GetMetricData:
 *
 * - values are scalars, time series, or arrays of time series (METRICS());
 * - `+ - * / ^` and the comparisons `== != < <= > >=` (1 or 0) and `AND`/`&&`, `OR`/`||`, `NOT` apply per
 *   timestamp; between two time series only the timestamps both have give a value (hence FILL), and a result
 *   that is not a finite number (a division by zero) gives none;
 * - IF(condition, a[, b]): per timestamp of the condition, a where it is not 0, else b (none without b);
 * - FILL(x, value | REPEAT | LINEAR): every timestamp of the query range gets a value (REPEAT and LINEAR from
 *   the values around a gap, before or after the range too);
 * - METRICS(['text']): the MetricStat queries (whose Id or Label holds the text), as an array;
 * - SUM, AVG, MIN, MAX: of an array, a time series (per timestamp, over the series that have a value); of one
 *   time series, a scalar; ABS, CEIL, FLOOR per value.
 *
 * Other functions (RATE, DIFF, PERIOD, SEARCH, ANOMALY_DETECTION_BAND, INSIGHT_RULE_METRIC...) are refused when
 * the expression is parsed, by name.
 */

import type { Node, parseExpression } from './metric-math-parse.js';

export {
  MathSyntaxError,
  parseExpression,
  referencedIds,
  SUPPORTED_FUNCTIONS,
} from './metric-math-parse.js';

export type Series = ReadonlyMap<number, number>;
export type MathValue =
  | { readonly kind: 'scalar'; readonly value: number }
  | { readonly kind: 'series'; readonly series: Series }
  | { readonly kind: 'array'; readonly items: readonly Series[] };

export type ParsedExpression = ReturnType<typeof parseExpression>;

export interface MathContext {
  /**
   * The period starts of the query range, oldest first: what FILL fills and what a series aggregates to a
   * scalar over. The MetricStat series may hold periods before and after it too, so that FILL's REPEAT and
   * LINEAR find the last value before the range (and LINEAR the first after it), as CloudWatch's do.
   */
  readonly timestamps: readonly number[];
  /** The value of another query by id (a MetricStat's series, or another expression's result). */
  readonly lookup: (id: string) => MathValue;
  /** The MetricStat queries, in order, for METRICS(): id, label and series. */
  readonly metricQueries: ReadonlyArray<{
    readonly id: string;
    readonly label?: string;
    readonly series: Series;
  }>;
  /** Told each time a value is dropped for not being a finite number (GetMetricData's ArithmeticError). */
  readonly onDropped?: () => void;
}

const finite = (ctx: MathContext, map: Map<number, number>, t: number, v: number) => {
  if (Number.isFinite(v)) map.set(t, v);
  else ctx.onDropped?.();
};

function mapValue(value: MathValue, f: (v: number) => number, ctx: MathContext): MathValue {
  if (value.kind === 'scalar') return { kind: 'scalar', value: f(value.value) };
  const one = (s: Series) => {
    const out = new Map<number, number>();
    for (const [t, v] of s) finite(ctx, out, t, f(v));
    return out;
  };
  return value.kind === 'series'
    ? { kind: 'series', series: one(value.series) }
    : { kind: 'array', items: value.items.map(one) };
}

function combine(
  a: MathValue,
  b: MathValue,
  f: (x: number, y: number) => number,
  ctx: MathContext,
): MathValue {
  if (a.kind === 'array' || b.kind === 'array') {
    if (a.kind === 'array' && b.kind === 'array') {
      if (a.items.length !== b.items.length)
        throw new Error(`cannot combine arrays of ${a.items.length} and ${b.items.length} time series`);
      return {
        kind: 'array',
        items: a.items.map((s, k) => seriesOf(combine(asSeries(s), asSeries(b.items[k] as Series), f, ctx))),
      };
    }
    const items = a.kind === 'array' ? a.items : (b as { items: readonly Series[] }).items;
    return {
      kind: 'array',
      items: items.map((s) =>
        seriesOf(a.kind === 'array' ? combine(asSeries(s), b, f, ctx) : combine(a, asSeries(s), f, ctx)),
      ),
    };
  }
  if (a.kind === 'scalar' && b.kind === 'scalar') return { kind: 'scalar', value: f(a.value, b.value) };
  if (a.kind === 'scalar') return mapValue(b, (y) => f(a.value, y), ctx);
  if (b.kind === 'scalar') return mapValue(a, (x) => f(x, b.value), ctx);
  const out = new Map<number, number>();
  for (const [t, x] of a.series) {
    const y = b.series.get(t);
    if (y !== undefined) finite(ctx, out, t, f(x, y));
  }
  return { kind: 'series', series: out };
}

const asSeries = (series: Series): MathValue => ({ kind: 'series', series });
const seriesOf = (value: MathValue): Series => (value.kind === 'series' ? value.series : new Map());

const OPERATIONS: Readonly<Record<string, (x: number, y: number) => number>> = {
  '+': (x, y) => x + y,
  '-': (x, y) => x - y,
  '*': (x, y) => x * y,
  '/': (x, y) => x / y,
  '^': (x, y) => x ** y,
  '==': (x, y) => Number(x === y),
  '!=': (x, y) => Number(x !== y),
  '<': (x, y) => Number(x < y),
  '<=': (x, y) => Number(x <= y),
  '>': (x, y) => Number(x > y),
  '>=': (x, y) => Number(x >= y),
  AND: (x, y) => Number(x !== 0 && y !== 0),
  OR: (x, y) => Number(x !== 0 || y !== 0),
};

/**
 * FILL over the query range: a number everywhere a value is missing; REPEAT the last value before (looked for
 * before the range too); LINEAR interpolated between the last value before and the first after (either may lie
 * outside the range). A gap with no value before it stays missing with REPEAT and LINEAR, as on CloudWatch.
 */
function fill(series: Series, how: number | string, ctx: MathContext): Map<number, number> {
  const out = new Map<number, number>();
  const known = [...series.keys()].sort((a, b) => a - b);
  // The range is oldest first: `next` walks the known timestamps along with it (the first one after t).
  let next = 0;
  for (const t of ctx.timestamps) {
    while (next < known.length && (known[next] as number) <= t) next++;
    const value = series.get(t);
    if (value !== undefined) {
      out.set(t, value);
      continue;
    }
    if (typeof how === 'number') {
      out.set(t, how);
      continue;
    }
    const before = known[next - 1];
    const after = known[next];
    if (how === 'REPEAT' && before !== undefined) out.set(t, series.get(before) as number);
    if (how === 'LINEAR' && before !== undefined && after !== undefined) {
      const [x0, x1] = [series.get(before) as number, series.get(after) as number];
      out.set(t, x0 + ((x1 - x0) * (t - before)) / (after - before));
    }
  }
  return out;
}

function aggregate(name: string, values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  if (name === 'SUM') return values.reduce((a, b) => a + b, 0);
  if (name === 'AVG') return values.reduce((a, b) => a + b, 0) / values.length;
  if (name === 'MIN') return Math.min(...values);
  return Math.max(...values);
}

function call(name: string, args: readonly Node[], ctx: MathContext): MathValue {
  const arg = (k: number) => evaluateNode(args[k] as Node, ctx);
  switch (name) {
    case 'METRICS': {
      const filter = args[0];
      if (filter !== undefined && filter.type !== 'string')
        throw new Error('METRICS takes a string to filter the metrics by, or nothing');
      const text = filter?.value;
      return {
        kind: 'array',
        items: ctx.metricQueries
          .filter((q) => text === undefined || q.id.includes(text) || (q.label ?? '').includes(text))
          .map((q) => q.series),
      };
    }
    case 'FILL': {
      const second = args[1] as Node;
      const filler = second.type === 'word' ? undefined : evaluateNode(second, ctx);
      if (filler !== undefined && filler.kind !== 'scalar')
        throw new Error('FILL fills with a number, REPEAT or LINEAR, not a time series');
      const how = second.type === 'word' ? second.value : (filler as { value: number }).value;
      const value = arg(0);
      if (value.kind === 'scalar') return value;
      if (value.kind === 'series') return { kind: 'series', series: fill(value.series, how, ctx) };
      return { kind: 'array', items: value.items.map((s) => fill(s, how, ctx)) };
    }
    case 'IF': {
      const condition = arg(0);
      const then = arg(1);
      const otherwise = args.length > 2 ? arg(2) : undefined;
      if (condition.kind === 'array' || then.kind === 'array' || otherwise?.kind === 'array')
        throw new Error('IF takes time series or scalars, not arrays of time series');
      if (condition.kind === 'scalar')
        return condition.value !== 0 ? then : (otherwise ?? { kind: 'series', series: new Map() });
      const at = (v: MathValue | undefined, t: number) =>
        v === undefined ? undefined : v.kind === 'scalar' ? v.value : (v as { series: Series }).series.get(t);
      const out = new Map<number, number>();
      for (const [t, c] of condition.series) {
        const v = at(c !== 0 ? then : otherwise, t);
        if (v !== undefined) finite(ctx, out, t, v);
      }
      return { kind: 'series', series: out };
    }
    case 'ABS':
      return mapValue(arg(0), Math.abs, ctx);
    case 'CEIL':
      return mapValue(arg(0), Math.ceil, ctx);
    case 'FLOOR':
      return mapValue(arg(0), Math.floor, ctx);
    default: {
      const value = arg(0);
      if (value.kind === 'scalar') return value;
      if (value.kind === 'series')
        return {
          kind: 'scalar',
          value: aggregate(
            name,
            ctx.timestamps.flatMap((t) => (value.series.has(t) ? [value.series.get(t) as number] : [])),
          ),
        };
      const out = new Map<number, number>();
      for (const t of ctx.timestamps) {
        const present = value.items.flatMap((s) => (s.has(t) ? [s.get(t) as number] : []));
        if (present.length > 0) finite(ctx, out, t, aggregate(name, present));
      }
      return { kind: 'series', series: out };
    }
  }
}

export function evaluateNode(node: Node, ctx: MathContext): MathValue {
  switch (node.type) {
    case 'number':
      return { kind: 'scalar', value: node.value };
    case 'string':
    case 'word':
      throw new Error(`${JSON.stringify(node.value)} is not a value here`);
    case 'id':
      return ctx.lookup(node.name);
    case 'unary':
      return mapValue(
        evaluateNode(node.operand, ctx),
        node.op === '-' ? (x) => -x : (x) => Number(x === 0),
        ctx,
      );
    case 'binary':
      return combine(
        evaluateNode(node.left, ctx),
        evaluateNode(node.right, ctx),
        OPERATIONS[node.op] as (x: number, y: number) => number,
        ctx,
      );
    case 'call':
      return call(node.name, node.args, ctx);
  }
}
