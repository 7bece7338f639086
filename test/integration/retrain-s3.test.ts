import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRawArchive } from '../../adapters/archive/archive-writer.js';
import { parseModelDocument } from '../../adapters/model/embedded-model.js';
import { CliError, type CliIO } from '../../cli/io.js';
import { retrain } from '../../cli/retrain-command.js';
import { onShards } from '../../cli/simulated-stream.js';
import { seededRandom } from '../../core/seeded-random.js';
import { generateFraudTraffic } from '../../examples/fraud/generate.js';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/local-cloud.js';
import { FRAUD_SPEC_FILE, fraudSpec } from '../support/fraud-training-set.js';

/**
 * `streamfeatures retrain` with everything in S3 (the local cloud): the archive under `raw/`, the delayed labels
 * under `labels/`, and the model registry under a prefix. The new version appears there only when the retrain
 * succeeds.
 */
const CHAMPION = 'fraud-lr-52a6357d6140';
const DAY = 86_400_000;
let cloud: LocalCloud;
let dir: string;
let s3: S3Client;
const quiet: CliIO = { out: () => {}, err: () => {}, interactive: false };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sf-retrain-s3-'));
  const spec = fraudSpec();
  const traffic = generateFraudTraffic({ events: 8_000, seed: 5, fraudRate: 0.02 });
  writeRawArchive(join(dir, 'archive'), spec.spec, onShards(traffic.records, 2));
  const random = seededRandom(4);
  const labels = traffic.labels.map((label) =>
    JSON.stringify({ ...label, label_time: label.ts + Math.round((1 + 29 * random()) * DAY) }),
  );
  cloud = await startLocalCloud({ port: 0 });
  s3 = new S3Client({
    endpoint: cloud.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    forcePathStyle: true,
  });
  await s3.send(new CreateBucketCommand({ Bucket: 'offline' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'models' }));
  const archive = join(dir, 'archive');
  for (const entry of readdirSync(archive, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const key = `raw/${relative(archive, path).split(sep).join('/')}`;
    await s3.send(new PutObjectCommand({ Bucket: 'offline', Key: key, Body: readFileSync(path) }));
  }
  await put('offline', 'labels/dt=2026-12-01/chargebacks.jsonl', `${labels.join('\n')}\n`);
  await put(
    'models',
    `registry/${CHAMPION}.json`,
    readFileSync(new URL(`../../examples/fraud/models/${CHAMPION}.json`, import.meta.url), 'utf8'),
  );
}, 180_000);

afterAll(async () => {
  await cloud?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function put(bucket: string, key: string, body: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

async function registryKeys(): Promise<string[]> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: 'models', Prefix: 'registry/' }));
  return (page.Contents ?? []).map((object) => object.Key as string).sort();
}

const options = (labels: string) => ({
  spec: FRAUD_SPEC_FILE.pathname,
  archive: 's3://offline/raw/',
  labels,
  models: 's3://models/registry',
  s3: () => s3,
});

describe('streamfeatures retrain on S3', () => {
  it('leaves the S3 registry as it was when a label names its request by request id only', async () => {
    await put(
      'offline',
      'bad-labels/one.jsonl',
      '{"request_id":"r1","label":1,"label_time":1793491200000}\n',
    );
    const before = await registryKeys();
    const failure = await retrain(options('s3://offline/bad-labels/'), quiet).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(CliError);
    expect((failure as Error).message).toContain(
      '--labels: s3://offline/bad-labels/one.jsonl:1: names its request by request_id only',
    );
    expect(await registryKeys()).toEqual(before);
  }, 120_000);

  it('reads archive, labels and registry from s3:// and adds the new version to the registry prefix', async () => {
    const report = await retrain(options('s3://offline/labels/'), quiet);
    const version = report.retrained.modelVersion;
    expect(report.champion.modelVersion).toBe(CHAMPION);
    expect(report.champion.rowIdsSha256).toBe(report.retrained.rowIdsSha256);
    expect(report.registered).toEqual({
      version,
      at: `s3://models/registry/${version}.json`,
      alreadyThere: false,
    });
    expect(await registryKeys()).toEqual([`registry/${CHAMPION}.json`, `registry/${version}.json`].sort());
    const stored = await s3.send(new GetObjectCommand({ Bucket: 'models', Key: `registry/${version}.json` }));
    const document = parseModelDocument(JSON.parse((await stored.Body?.transformToString()) ?? ''));
    expect(document.version).toBe(version);
    expect(document.featureDistributions).toBeDefined();
    // The CDK app reads a folder: the commands copy the registry down first.
    expect(report.commands.copyRegistry).toBe('aws s3 sync s3://models/registry models');
    expect(report.commands.shadow).toContain('-c modelRegistry=models -c modelVersion=fraud-lr-52a6357d6140');
  }, 300_000);
});
