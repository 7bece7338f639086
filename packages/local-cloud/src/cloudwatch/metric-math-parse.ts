/**
 * Parsing CloudWatch metric math (pure): an expression (`IF(FILL(n,0) > 0, 100*FILL(e,0)/n, 0)`) to a tree of
 * numbers, strings, query ids, operators and calls of the functions the local cloud evaluates (metric-math.ts).
 * Other functions (RATE, DIFF, PERIOD, SEARCH, ANOMALY_DETECTION_BAND, INSIGHT_RULE_METRIC...) are refused here,
 * by name.
 */

export type Node =
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
