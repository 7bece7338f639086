/** Dotted field paths (`geo.country`) compiled once into fast getters. */

export type FieldGetter = (event: Record<string, unknown>) => unknown;

const SEGMENT = /^[^.\s]+$/;

export function isValidFieldPath(path: string): boolean {
  return path.length > 0 && path.split('.').every((segment) => SEGMENT.test(segment));
}

export function compileFieldPath(path: string): FieldGetter {
  const segments = path.split('.');
  if (segments.length === 1) return (event) => event[path];
  return (event) => {
    let value: unknown = event;
    for (const segment of segments) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
      value = (value as Record<string, unknown>)[segment];
    }
    return value;
  };
}
