import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import {
  type CompiledSpec,
  compileFieldPath,
  type InputRecord,
  parseEventTime,
  type Rejection,
  type ReplayQuery,
} from '../../core/index.js';

/** Reads a file's non-empty lines with their 1-based numbers; a file that cannot be opened fails naming it. */
export async function* readLines(path: string): AsyncGenerator<{ line: string; number: number }> {
  try {
    await access(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new Error(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() !== '') yield { line, number };
  }
}

/**
 * Events from JSON Lines as engine records. Arrival time α: the named arrival field (epoch ms or ISO-8601), or
 * α = τ when none is named. Shard: the file; sequence number: the line number. A line whose named arrival field
 * cannot be read is set aside as invalid (rule `arrival-missing`), never dropped; a field no event has at all is
 * a misspelt flag, and fails naming it.
 */
export async function readEventLines(
  spec: CompiledSpec,
  path: string,
  arrivalField?: string,
): Promise<{ records: InputRecord[]; rejected: Rejection[] }> {
  const getArrival = arrivalField ? compileFieldPath(arrivalField) : spec.getTime;
  const records: InputRecord[] = [];
  const rejected: Rejection[] = [];
  let objects = 0;
  let withArrivalField = 0;
  for await (const { line, number } of readLines(path)) {
    const data = Buffer.from(line, 'utf8');
    let body: unknown;
    try {
      body = JSON.parse(line);
    } catch {
      body = undefined;
    }
    if (isObject(body)) {
      objects++;
      if (getArrival(body) !== undefined) withArrivalField++;
    }
    const arrival = isObject(body) ? parseEventTime(getArrival(body)) : undefined;
    const record = { data, arrivalMs: arrival ?? 0, shardId: path, sequenceNumber: String(number) };
    if (arrival === undefined && arrivalField && isObject(body)) {
      rejected.push({
        record,
        reason: 'invalid',
        rule: 'arrival-missing',
        message: `line ${number}: arrival field "${arrivalField}" is missing or not a time (got ${JSON.stringify(getArrival(body)) ?? 'nothing'})`,
      });
    } else records.push(record);
  }
  if (arrivalField && objects > 0 && withArrivalField === 0) {
    throw new Error(
      `--arrival-field ${JSON.stringify(arrivalField)}: no event in ${path} has this field (${objects} events read)`,
    );
  }
  return { records, rejected };
}

/** Each non-empty line parsed as JSON, with its line number; a line that is not JSON fails naming it. */
export async function* readJsonLines(
  path: string,
): AsyncGenerator<{ body: unknown; line: string; number: number }> {
  for await (const { line, number } of readLines(path)) {
    let body: unknown;
    try {
      body = JSON.parse(line);
    } catch (error) {
      throw new Error(`${path}:${number}: not JSON (${(error as Error).message})`);
    }
    yield { body, line, number };
  }
}

/** Queries from JSON Lines: `{"entity": "card", "key": {"card_id": "c1"}, "t": 1700000000000}`; t may be ISO-8601. */
export async function readQueryLines(path: string): Promise<ReplayQuery[]> {
  const queries: ReplayQuery[] = [];
  for await (const { body, line, number } of readJsonLines(path)) {
    if (!isObject(body) || typeof body.entity !== 'string' || !isObject(body.key)) {
      throw new Error(
        `${path}:${number}: a query needs "entity" (string), "key" (object) and "t" (got ${line.slice(0, 120)})`,
      );
    }
    const t = parseEventTime(body.t);
    if (t === undefined) {
      throw new Error(
        `${path}:${number}: "t" must be epoch ms or ISO-8601 with a zone (got ${JSON.stringify(body.t)})`,
      );
    }
    queries.push({ entity: body.entity, key: body.key as ReplayQuery['key'], t });
  }
  return queries;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
