import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { readRegistryModel } from '../adapters/model/model-registry.js';
import type { CliIO } from './io.js';
import { measureParity, type ParityReport } from './parity-command.js';

/**
 * The demo's offline half after the live traffic: the served models' figures, and parity of the online store and the
 * feature log against a replay of the whole raw archive (the backfilled history and the live traffic).
 */
export interface OfflineDemo {
  readonly archive: string;
  /** The model(s) that answered the scoring requests, with the holdout figures recorded when they were trained. */
  readonly served: readonly { version: string; rocAuc?: number; prAuc?: number; description?: string }[];
  readonly parity: ParityReport;
}

export interface OfflineDemoOptions {
  readonly spec: string;
  readonly bucket: string;
  readonly table: string;
  readonly servedVersions: readonly string[];
  /** Parity compares feature-log lines logged from this time on (the scoring sample after the stream drained). */
  readonly loggedSince?: number;
  /** The registry the scores are recomputed from: the champion's and the shadow challenger's. */
  readonly registry: string;
  readonly clients: { readonly dynamodb: DynamoDBClient; readonly s3: S3Client };
}

export async function runOfflineDemo(options: OfflineDemoOptions, io: CliIO): Promise<OfflineDemo> {
  const archive = `s3://${options.bucket}/raw/`;
  const s3 = () => options.clients.s3;

  const served = options.servedVersions.map((version) => {
    try {
      const document = readRegistryModel(options.registry, version);
      return {
        version,
        ...(document.metrics ? { rocAuc: document.metrics.rocAuc, prAuc: document.metrics.prAuc } : {}),
        ...(document.description ? { description: document.description } : {}),
      };
    } catch {
      return { version };
    }
  });

  io.err('checking parity: online store and feature log against a replay of the archive...\n');
  const parity = await measureParity(
    {
      spec: options.spec,
      archive,
      table: options.table,
      featureLog: `s3://${options.bucket}/features/`,
      models: options.registry,
      sample: 200,
      at: Date.now(),
      loggedSince: options.loggedSince,
      clients: { dynamodb: options.clients.dynamodb, s3 },
    },
    io,
  );
  return { archive, served, parity };
}

/** The report's lines for the offline half. */
export function offlineReport(demo: OfflineDemo): string[] {
  const { parity } = demo;
  const lines: string[] = [];
  for (const model of demo.served) {
    const figures =
      model.rocAuc === undefined
        ? model.description?.startsWith('PLACEHOLDER')
          ? 'an untrained placeholder'
          : 'no recorded metrics'
        : `holdout ROC AUC ${model.rocAuc.toFixed(3)}, PR AUC ${(model.prAuc ?? Number.NaN).toFixed(3)} when trained (npm run fraud:model)`;
    lines.push(`  model              ${model.version} answered the scoring requests: ${figures}`);
  }
  const online = parity.online;
  const logged = parity.logged;
  lines.push(
    `  parity             ${parity.skew ? 'SKEW' : 'no skew'}: online store ${online?.vectors ?? 0} keys (${online?.mismatches ?? 0} values differ), ` +
      `feature log ${logged?.vectors ?? 0} vectors (${logged?.mismatches ?? 0} differ), ` +
      `${logged?.scores.rescored ?? 0} scores recomputed (${logged?.scores.mismatched ?? 0} differ), against the replay`,
  );
  return lines;
}
