/**
 * The demo's first phase, before any live traffic: the generated history put in the offline bucket as the raw
 * archive with its delayed labels, backfilled into the online store (`backfill`), trained on (`training-set`,
 * `train`), and the new model deployed as a shadow challenger beside the shipped champion (`cdk synth -c challenger=…`
 * and a stack update through the local CloudFormation, as `cdk deploy` would).
 */
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Spec } from '../core/index.js';
import type { CloudFormationService } from '../packages/local-cloud/src/cloudformation/service.js';
import { cdkOutStack, type Deployment } from '../packages/local-cloud/src/deploy-template.js';
import { runBackfill } from './backfill-command.js';
import {
  type DemoHistory,
  generateHistory,
  HISTORY,
  type StoredHistory,
  storeHistory,
} from './demo-history.js';
import { synthesizeWithShadow } from './demo-synth.js';
import { type DemoTraining, trainOnHistory } from './demo-training.js';
import type { CliIO } from './io.js';

export interface HistoryPhase {
  readonly history: DemoHistory;
  readonly stored: StoredHistory;
  readonly backfill: { readonly written: number; readonly itemsChanged: number; readonly seconds: number };
  readonly training: DemoTraining;
  readonly synthMs: number;
  /** The stack updated with the challenger. */
  readonly deployment: Deployment;
  readonly ms: number;
}

export interface HistoryPhaseOptions {
  readonly stack: string;
  readonly spec: { readonly file: string; readonly parsed: Spec };
  readonly bucket: string;
  readonly table: string;
  readonly registry: string;
  readonly scratch: string;
  /**
   * Where the challenger's synth goes: inside the package (so its bundles find the AWS SDK, which Lambda's runtime
   * provides, in node_modules); the local Lambda runs the functions from it, so it is removed after the cloud stops.
   */
  readonly challengerOut: string;
  readonly cloudFormation: CloudFormationService;
  readonly clients: { readonly dynamodb: DynamoDBClient; readonly s3: S3Client };
}

export async function runHistoryPhase(options: HistoryPhaseOptions, io: CliIO): Promise<HistoryPhase> {
  const started = Date.now();
  const history = generateHistory(started);
  io.err(
    `history: ${history.traffic.records.length} records over ${HISTORY.days} days, into s3://${options.bucket}/raw/...\n`,
  );
  const s3 = () => options.clients.s3;
  const stored = await storeHistory(
    options.clients.s3,
    options.bucket,
    options.spec.parsed,
    history,
    options.scratch,
  );
  // The backfill writes DynamoDB Local while the training set is built and the challenger synthesized.
  const backfilling = runBackfill(
    {
      spec: options.spec.file,
      archive: `s3://${options.bucket}/raw/`,
      table: options.table,
      checkpoint: join(options.scratch, 'backfill.checkpoint.json'),
      clients: { dynamodb: options.clients.dynamodb, s3 },
    },
    io,
  );
  const training = await trainOnHistory(
    {
      spec: options.spec.file,
      bucket: options.bucket,
      labels: stored.labelsFile,
      registry: options.registry,
      scratch: options.scratch,
      s3,
    },
    io,
  );
  io.err(`synthesizing the app with ${training.version} as the shadow challenger...\n`);
  const out = options.challengerOut;
  const synthMs = await synthesizeWithShadow(out, training.registry, training.version);
  const backfill = await backfilling;
  const deployment = await options.cloudFormation.deploy({
    stackName: options.stack,
    ...cdkOutStack(out, options.stack),
  });
  for (const warning of deployment.warnings) io.err(`  warning: ${warning}\n`);
  return { history, stored, backfill, training, synthMs, deployment, ms: Date.now() - started };
}

/** The report's lines for the history phase (the training's come from trainingReport). */
export function historyReport(phase: HistoryPhase): string[] {
  const { history, stored, backfill } = phase;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  return [
    `  history            ${history.traffic.records.length} generated records (${history.traffic.labels.length} transactions, ${history.traffic.counts.fraud} fraud) with event times ${day(history.startMs)} to ${day(history.endMs)} UTC: ` +
      `${stored.keys.length} Parquet files in s3://…/raw/ (the archive layout), ${history.known.length} delayed labels known by now in s3://…/${stored.labelsKey} (${history.pending} still to come)`,
    `  backfill           ${backfill.written} history events written to the online store in ${backfill.seconds.toFixed(1)} s (${backfill.itemsChanged} item writes)`,
  ];
}
