/** Small helpers shared by the deployment's modules. */

export function getPath(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Properties of a created resource that the local cloud does not apply, for its notes. */
export function notApplied(properties: Record<string, unknown>, applied: readonly string[]): string[] {
  const rest = Object.keys(properties).filter((key) => !applied.includes(key));
  return rest.length === 0 ? [] : [`not applied locally: ${rest.join(', ')}`];
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function numberSetting<K extends string>(
  p: Record<string, unknown>,
  property: string,
  key: K,
): Partial<Record<K, number>> {
  const value = p[property];
  if (value === undefined) return {};
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${property} must be a number (got ${JSON.stringify(value)})`);
  return { [key]: n } as Partial<Record<K, number>>;
}
