/**
 * The inputs of monitoring, local or in S3: the feature log (as scored requests), delayed labels, and the side
 * outputs' set-aside lines. Reading only; the figures are computed by the pure core.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CompiledSpec } from '../../core/index.js';
import {
  type DelayedLabel,
  isLabelProblem,
  type LabelProblem,
  parseDelayedLabel,
  type ScoredRequest,
} from '../../core/monitoring/index.js';
import { listS3Objects, s3Location, statLocation } from '../archive/archive-files.js';
import { s3ClientFromEnv } from '../archive/event-source.js';
import { readFeatureLog } from '../archive/feature-log.js';

type S3 = () => S3Client;

/** The feature log (Parquet file, folder, s3:// prefix, or a JSON Lines file) as scored requests. */
export async function readScoredRequests(
  location: string,
  s3: S3 = s3ClientFromEnv,
): Promise<ScoredRequest[]> {
  return readFeatureLog(location, s3);
}

export interface LabelRead {
  readonly labels: DelayedLabel[];
  /** Lines set aside, each with its `file:line` and reason. */
  readonly problems: LabelProblem[];
  readonly files: number;
  /** Files or S3 objects listed but left unread: last modified before `modifiedSinceMs`. */
  readonly filesOlder: number;
}

export interface LabelReadOptions {
  /**
   * Read only the S3 objects, or the files of a folder, last modified at or after this (epoch ms): one written
   * earlier holds no label that became known later (label-files.ts). A file named on its own is always read.
   * @default - every object and file
   */
  readonly modifiedSinceMs?: number;
}

/**
 * Delayed labels from a JSON Lines file, a folder of them (searched recursively), or an `s3://bucket/prefix`
 * (the offline bucket's `labels/` prefix): every `.jsonl`/`.json` object under it. A line that is not JSON, or
 * not a valid label, is set aside with its reason. With `modifiedSinceMs`, S3 objects and a folder's files written
 * before it are only listed, not read.
 */
export async function readDelayedLabels(
  spec: CompiledSpec,
  location: string,
  s3: S3 = s3ClientFromEnv,
  options: LabelReadOptions = {},
): Promise<LabelRead> {
  const labels: DelayedLabel[] = [];
  const problems: LabelProblem[] = [];
  const since = options.modifiedSinceMs;
  const inS3 = s3Location(location);
  const listed =
    since === undefined
      ? { objects: await jsonLinesObjects(location, s3, 'labels'), older: 0 }
      : inS3
        ? await s3JsonLinesSince(s3(), inS3.bucket, inS3.prefix, since)
        : await localJsonLinesSince(location, since);
  const files = listed.objects;
  for (const file of files) {
    const lines = (await file.text()).split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const source = `${file.name}:${i + 1}`;
      let body: unknown;
      try {
        body = JSON.parse(line);
      } catch (error) {
        problems.push({ source, reason: `not JSON (${(error as Error).message})` });
        return;
      }
      const parsed = parseDelayedLabel(spec, body, source);
      if (isLabelProblem(parsed)) problems.push(parsed);
      else labels.push(parsed);
    });
  }
  return { labels, problems, files: files.length, filesOlder: listed.older };
}

/** The JSON Lines objects under an S3 prefix last modified at or after `sinceMs`, and how many were older. */
async function s3JsonLinesSince(
  client: S3Client,
  bucket: string,
  prefix: string,
  sinceMs: number,
): Promise<{ objects: TextObject[]; older: number }> {
  const objects: TextObject[] = [];
  let older = 0;
  for (const { key, lastModifiedMs } of await listS3Objects(client, bucket, prefix)) {
    if (!isJsonLines(key)) continue;
    // No LastModified (never from S3 itself): read it rather than lose labels.
    if ((lastModifiedMs ?? sinceMs) < sinceMs) older++;
    else objects.push(s3TextObject(client, bucket, key));
  }
  return { objects, older };
}

/** The JSON Lines files at a local location modified at or after `sinceMs` (a named file always), and how many were older. */
async function localJsonLinesSince(
  location: string,
  sinceMs: number,
): Promise<{ objects: TextObject[]; older: number }> {
  const files = await jsonLinesObjects(location, s3ClientFromEnv, 'labels');
  // A file named on its own was chosen by its user: read it whatever its time.
  if ((await statLocation(location, 'labels')).isFile()) return { objects: files, older: 0 };
  const objects: TextObject[] = [];
  let older = 0;
  for (const file of files) {
    if ((await stat(file.path as string)).mtimeMs < sinceMs) older++;
    else objects.push(file);
  }
  return { objects, older };
}

function s3TextObject(client: S3Client, bucket: string, key: string): TextObject {
  return {
    name: `s3://${bucket}/${key}`,
    text: async () => {
      const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await answer.Body?.transformToString('utf8')) ?? '';
    },
  };
}

const isJsonLines = (name: string) => /\.jsonl?$/i.test(name);

/** One set-aside line as the side outputs hold it (adapters/side-outputs/layout.ts RejectionLine). */
export interface SetAsideLine {
  readonly reason: string;
  readonly rule: string;
  readonly arrivalMs: number;
}

/**
 * The quarantine and late lines under a side-output location (a folder or `s3://bucket/`): objects under
 * `quarantine/` and `late/`. A line that is not one fails naming it: the pipeline wrote these.
 */
export async function readSetAside(location: string, s3: S3 = s3ClientFromEnv): Promise<SetAsideLine[]> {
  const lines: SetAsideLine[] = [];
  for (const file of await jsonLinesObjects(location, s3, 'side outputs')) {
    if (!/(^|\/)(quarantine|late)\//.test(file.name)) continue;
    (await file.text()).split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(line) as Record<string, unknown>;
      } catch (error) {
        throw new Error(`${file.name}:${i + 1}: not JSON (${(error as Error).message})`);
      }
      const { reason, rule, arrivalMs } = body ?? {};
      if (typeof reason !== 'string' || typeof rule !== 'string' || typeof arrivalMs !== 'number') {
        throw new Error(`${file.name}:${i + 1}: not a set-aside line (needs reason, rule and arrivalMs)`);
      }
      lines.push({ reason, rule, arrivalMs });
    });
  }
  return lines;
}

interface TextObject {
  readonly name: string;
  /** Its path, when a local file. */
  readonly path?: string;
  text(): Promise<string>;
}

/** The JSON Lines files at a location: a file, a folder (recursively), or every such object under an S3 prefix. */
async function jsonLinesObjects(location: string, s3: S3, what: string): Promise<TextObject[]> {
  const inS3 = s3Location(location);
  if (inS3) {
    const client = s3();
    const objects = await listS3Objects(client, inS3.bucket, inS3.prefix);
    return objects
      .filter(({ key }) => isJsonLines(key))
      .map(({ key }) => s3TextObject(client, inS3.bucket, key));
  }
  const info = await statLocation(location, what);
  const local = (path: string, name: string): TextObject => ({
    name,
    path,
    text: () => readFile(path, 'utf8'),
  });
  if (info.isFile()) return [local(location, location)];
  const entries = await readdir(location, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && isJsonLines(entry.name))
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return local(path, join(location, relative(location, path)).split(sep).join('/'));
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
