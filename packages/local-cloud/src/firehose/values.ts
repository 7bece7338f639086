/** Reading JSON request fields, and describing values in messages. */

import { invalidArgument } from './errors.js';

export type Json = Record<string, unknown>;

export function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function objectAt(value: unknown, what: string): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalidArgument(`${what} must be an object (got ${describe(value)})`);
  return value;
}

export function stringAt(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidArgument(`${what} must be a string (got ${describe(value)})`);
  return value;
}

export function numberAt(value: unknown, what: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw invalidArgument(`${what} must be a whole number from ${min} to ${max} (got ${describe(value)})`);
  }
  return n;
}

export function enabled(value: unknown): boolean {
  return value === true || value === 'true';
}
