/** Route keys (`METHOD /path`, `{param}`, `{proxy+}`, `$default`) and choosing the most specific match. */

import type { TokenBucket } from './throttle.js';
import type { HttpApiRoute } from './types.js';

export interface CompiledRoute {
  readonly route: HttpApiRoute;
  readonly method: string | undefined;
  readonly segments: readonly string[] | undefined;
  readonly bucket: TokenBucket | undefined;
}

/** Compiles a route; throws when its key is not `METHOD /path` or `$default`. */
export function compileRoute(route: HttpApiRoute, bucket: TokenBucket | undefined): CompiledRoute {
  if (route.routeKey === '$default') {
    return { route, method: undefined, segments: undefined, bucket };
  }
  const match = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) (\/\S*)$/.exec(route.routeKey);
  if (!match) {
    throw new Error(`route key ${JSON.stringify(route.routeKey)} is not "METHOD /path" or "$default"`);
  }
  const path = match[2] as string;
  const segments = path === '/' ? [] : path.slice(1).split('/');
  return { route, method: match[1], segments, bucket };
}

/** The route a request reaches (the most specific; `$default` when none), and its path parameters. */
export function matchRoute(
  routes: readonly CompiledRoute[],
  method: string,
  path: string,
): { compiled: CompiledRoute; pathParameters: Record<string, string> | undefined } | undefined {
  const segments = path === '/' ? [] : path.replace(/^\//, '').split('/');
  let best: { compiled: CompiledRoute; pathParameters: Record<string, string>; score: number[] } | undefined;
  let fallback: CompiledRoute | undefined;
  for (const compiled of routes) {
    if (compiled.segments === undefined) {
      fallback = compiled;
      continue;
    }
    if (compiled.method !== 'ANY' && compiled.method !== method) continue;
    const params: Record<string, string> = {};
    // Specificity: literal segments, then parameters, then no greedy segment, then an exact method.
    const score = [0, 0, 1, compiled.method === method ? 1 : 0];
    let ok = true;
    for (let i = 0; i < compiled.segments.length; i++) {
      const pattern = compiled.segments[i] as string;
      const greedy = /^\{(.+)\+\}$/.exec(pattern);
      if (greedy) {
        if (i !== compiled.segments.length - 1 || i >= segments.length) ok = false;
        else params[greedy[1] as string] = segments.slice(i).join('/');
        score[2] = 0;
        break;
      }
      const value = segments[i];
      if (
        value === undefined ||
        (i === compiled.segments.length - 1 && segments.length > compiled.segments.length)
      ) {
        ok = false;
        break;
      }
      const param = /^\{(.+)\}$/.exec(pattern);
      if (param && value === '') {
        ok = false;
        break;
      } else if (param) {
        params[param[1] as string] = value;
        (score[1] as number)++;
      } else if (pattern === value) {
        (score[0] as number)++;
      } else {
        ok = false;
        break;
      }
    }
    if (compiled.segments.length === 0 && segments.length > 0) ok = false;
    if (ok && (best === undefined || compareScores(score, best.score) > 0)) {
      best = { compiled, pathParameters: params, score };
    }
  }
  if (best) {
    return {
      compiled: best.compiled,
      pathParameters: Object.keys(best.pathParameters).length > 0 ? best.pathParameters : undefined,
    };
  }
  return fallback ? { compiled: fallback, pathParameters: undefined } : undefined;
}

function compareScores(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}
