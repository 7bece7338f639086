/**
 * CloudWatch metric math (pure): parses an expression (`IF(FILL(n,0) > 0, 100*FILL(e,0)/n, 0)`) and evaluates it
 * over time series keyed by period start, as CloudWatch does for metric-math alarms and GetMetricData:
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

export type Series = ReadonlyMap<number, number>;
export type MathValue =
  | { readonly kind: 'scalar'; readonly value: number }
  | { readonly kind: 'series'; readonly series: Series }
  | { readonly kind: 'array'; readonly items: readonly Series[] };

type Node =
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'word'; readonly value: string }
  | { readonly type: 'id'; readonly name: string }
  | { readonly type: 'unary'; readonly op: '-' | 'NOT'; readonly operand: Node }
  | { readonly type: 'binary'; readonly op: string; readonly left: Node; readonly right: Node }
  | { readonly type: 'call'; readonly name: string; readonly args: readonly Node[] };

/** The functions evaluated locally, with how many arguments each takes. */
const FUNCTIONS: Readonly<Record<string, readonly [min: number, max: number]>> = {
  IF: [2, 3],
  FILL: [2, 2],
  METRICS: [0, 1],
  SUM: [1, 1],
  AVG: [1, 1],
  MIN: [1, 1],
  MAX: [1, 1],
  ABS: [1, 1],
  CEIL: [1, 1],
  FLOOR: [1, 1],
};
export const SUPPORTED_FUNCTIONS = Object.keys(FUNCTIONS);

/** FILL's keywords besides a number. */
const FILL_MODES = ['REPEAT', 'LINEAR'];

/** Binary operators, loosest first. */
const LEVELS: readonly (readonly string[])[] = [
  ['OR', '||'],
  ['AND', '&&'],
  ['==', '!=', '<=', '>=', '<', '>'],
  ['+', '-'],
  ['*', '/'],
  ['^'],
];

const TOKEN =
  /\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)|('[^']*'|"[^"]*")|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<=|>=|&&|\|\||[-+*/^<>(),!]))/y;

export class MathSyntaxError extends Error {}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (match === null) {
      const where = at + (text.slice(at).length - text.slice(at).trimStart().length);
      throw new MathSyntaxError(
        `expression ${JSON.stringify(text)}: unexpected ${JSON.stringify(text[where])} at character ${where + 1}`,
      );
    }
    tokens.push((match[1] ?? match[2] ?? match[3] ?? match[4]) as string);
  }
  return tokens;
}

/** Parses an expression; throws a MathSyntaxError naming the expression and what is wrong in it. */
export function parseExpression(text: string): Node {
  const tokens = tokenize(text);
  let i = 0;
  const fail = (what: string): never => {
    throw new MathSyntaxError(`expression ${JSON.stringify(text)}: ${what}`);
  };
  const peek = () => tokens[i];
  const take = (expected?: string): string => {
    const token = tokens[i];
    if (token === undefined) return fail(`ends early${expected ? ` (expected ${expected})` : ''}`);
    if (expected !== undefined && token !== expected) fail(`expected ${expected}, found ${token}`);
    i++;
    return token;
  };
  const isOp = (token: string | undefined, ops: readonly string[]) =>
    token !== undefined && ops.includes(token);

  const binary = (level: number): Node => {
    if (level === LEVELS.length) return unary();
    const ops = LEVELS[level] as readonly string[];
    let left = binary(level + 1);
    while (isOp(peek(), ops)) {
      const token = take();
      const op = token === '||' ? 'OR' : token === '&&' ? 'AND' : token;
      // `^` binds right to left; the others left to right.
      const right = op === '^' ? binary(level) : binary(level + 1);
      left = { type: 'binary', op, left, right };
      if (op === '^') break;
    }
    return left;
  };
  const unary = (): Node => {
    const token = peek();
    if (token === '-') {
      take();
      return { type: 'unary', op: '-', operand: unary() };
    }
    if (token === '+') {
      take();
      return unary();
    }
    if (token === 'NOT' || token === '!') {
      take();
      return { type: 'unary', op: 'NOT', operand: unary() };
    }
    return primary();
  };
  const primary = (): Node => {
    const token = tokens[i++];
    if (token === undefined) return fail('ends early (expected a value)');
    if (token === '(') {
      const inner = binary(0);
      take(')');
      return inner;
    }
    if (/^[\d.]/.test(token)) return { type: 'number', value: Number(token) };
    if (/^['"]/.test(token)) return { type: 'string', value: token.slice(1, -1) };
    if (!/^[A-Za-z_]/.test(token)) return fail(`unexpected ${token}`);
    if (peek() === '(') {
      take('(');
      const name = token.toUpperCase();
      const arity = FUNCTIONS[name];
      if (arity === undefined)
        fail(
          `function ${token} is not supported by the local cloud (it evaluates ${SUPPORTED_FUNCTIONS.join(', ')})`,
        );
      const args: Node[] = [];
      if (peek() !== ')') {
        args.push(binary(0));
        while (peek() === ',') {
          take(',');
          args.push(binary(0));
        }
      }
      take(')');
      const [min, max] = arity as readonly [number, number];
      if (args.length < min || args.length > max)
        fail(
          `${name} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, not ${args.length}`,
        );
      return { type: 'call', name, args };
    }
    if (FILL_MODES.includes(token)) return { type: 'word', value: token };
    if (!/^[a-z]/.test(token)) fail(`${token} is not a query id (ids start with a lowercase letter)`);
    return { type: 'id', name: token };
  };

  if (tokens.length === 0) fail('is empty');
  const tree = binary(0);
  if (i < tokens.length) fail(`unexpected ${tokens[i]} after the end`);
  return tree;
}

/** The query ids an expression refers to. */
export function referencedIds(node: Node): string[] {
  switch (node.type) {
    case 'id':
      return [node.name];
    case 'unary':
      return referencedIds(node.operand);
    case 'binary':
      return [...referencedIds(node.left), ...referencedIds(node.right)];
    case 'call':
      return node.args.flatMap(referencedIds);
    default:
      return [];
  }
}

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
