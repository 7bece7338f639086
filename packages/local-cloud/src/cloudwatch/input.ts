/**
 * Reading an operation's input the same way whichever protocol carried it: JSON 1.0 (numbers, epoch-second
 * timestamps), Smithy RPC v2 CBOR (numbers, tag-1 timestamps) or the query protocol (every value a string,
 * ISO-8601 timestamps, lists as `member.N`, already turned into arrays). Bad values answer
 * InvalidParameterValue naming the member.
 */

import { AwsApiError } from '../services/aws-errors.js';

export type Input = Record<string, unknown>;

export function invalid(message: string): AwsApiError {
  return new AwsApiError('InvalidParameterValue', message);
}

export function missing(name: string): AwsApiError {
  return new AwsApiError('MissingParameter', `The parameter ${name} is required.`);
}

export function str(input: Input, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw invalid(`The parameter ${name} must be a string (got ${JSON.stringify(value)}).`);
  return value;
}

export function requiredStr(input: Input, name: string): string {
  const value = str(input, name);
  if (value === undefined || value === '') throw missing(name);
  return value;
}

export function num(input: Input, name: string): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n))
    throw invalid(`The parameter ${name} must be a number (got ${JSON.stringify(value)}).`);
  return n;
}

export function bool(input: Input, name: string): boolean | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw invalid(`The parameter ${name} must be true or false (got ${JSON.stringify(value)}).`);
}

/** Epoch milliseconds of a timestamp member. */
export function time(input: Input, name: string): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  let ms: number;
  if (typeof value === 'number') ms = value * 1000;
  else if (typeof value === 'string')
    ms = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  else if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'object' && (value as { tag?: unknown }).tag === 1)
    ms = Number((value as { value: unknown }).value) * 1000;
  else ms = Number.NaN;
  if (!Number.isFinite(ms))
    throw invalid(`The parameter ${name} must be a timestamp (got ${JSON.stringify(value)}).`);
  return ms;
}

export function requiredTime(input: Input, name: string): number {
  const value = time(input, name);
  if (value === undefined) throw missing(name);
  return value;
}

export function list(input: Input, name: string): unknown[] {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw invalid(`The parameter ${name} must be a list (got ${JSON.stringify(value)}).`);
  return value;
}

export function obj(value: unknown, name: string): Input {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalid(`${name} must be a structure.`);
  return value as Input;
}
