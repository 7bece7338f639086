/** Lambda's FunctionConfiguration and EventSourceMappingConfiguration of the local functions and mappings. */

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { KinesisEventSourceMapping } from '../event-source-mapping.js';
import { type LocalLambdaFunction, resolveHandler } from '../lambda-runtime.js';

const codeFacts = new WeakMap<LocalLambdaFunction, { sha256: string; size: number; lastModified: string }>();

/** The handler module's SHA-256 and size stand for the package's (the code is a folder here, not a zip). */
function factsOf(fn: LocalLambdaFunction) {
  let facts = codeFacts.get(fn);
  if (facts === undefined) {
    let sha256 = '';
    let size = 0;
    let modified = new Date();
    try {
      const { file } = resolveHandler(fn.config.codeDir, fn.config.handler);
      const bytes = readFileSync(file);
      sha256 = createHash('sha256').update(bytes).digest('base64');
      size = bytes.length;
      modified = statSync(file).mtime;
    } catch {
      // A function whose handler cannot be found still lists; its invocations say why.
    }
    facts = { sha256, size, lastModified: modified.toISOString().replace('Z', '+0000') };
    codeFacts.set(fn, facts);
  }
  return facts;
}

export function functionConfiguration(fn: LocalLambdaFunction): Record<string, unknown> {
  const { config } = fn;
  const facts = factsOf(fn);
  return {
    FunctionName: fn.functionName,
    FunctionArn: fn.functionArn,
    Runtime: config.runtime ?? 'nodejs22.x',
    Role: `arn:aws:iam::${config.accountId ?? '000000000000'}:role/${fn.functionName}-role`,
    Handler: config.handler,
    CodeSize: facts.size,
    Description: '',
    Timeout: config.timeoutSeconds ?? 3,
    MemorySize: config.memorySize ?? 128,
    LastModified: facts.lastModified,
    CodeSha256: facts.sha256,
    Version: '$LATEST',
    Environment: { Variables: { ...(config.environment ?? {}) } },
    TracingConfig: { Mode: 'PassThrough' },
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: ['arm64'],
    EphemeralStorage: { Size: 512 },
    LoggingConfig: { LogFormat: 'Text', LogGroup: config.logGroupName ?? `/aws/lambda/${fn.functionName}` },
  };
}

export function mappingConfiguration(
  mapping: KinesisEventSourceMapping,
  region: string,
  accountId: string,
): Record<string, unknown> {
  const s = mapping.settings();
  return {
    UUID: mapping.uuid,
    StartingPosition: s.startingPosition,
    ...(s.startingPositionTimestamp === undefined
      ? {}
      : { StartingPositionTimestamp: s.startingPositionTimestamp }),
    BatchSize: s.batchSize ?? 100,
    MaximumBatchingWindowInSeconds: s.maximumBatchingWindowInSeconds ?? 0,
    ParallelizationFactor: s.parallelizationFactor ?? 1,
    EventSourceArn: mapping.eventSourceArn,
    FunctionArn: mapping.functionArn,
    LastModified: Date.now() / 1000,
    LastProcessingResult: mapping.counters.invocations === 0 ? 'No records processed' : 'OK',
    State: mapping.state,
    StateTransitionReason: 'USER_INITIATED',
    DestinationConfig: { OnFailure: s.onFailure ? { Destination: s.onFailure.arn } : {} },
    MaximumRecordAgeInSeconds: s.maximumRecordAgeInSeconds ?? -1,
    BisectBatchOnFunctionError: s.bisectBatchOnFunctionError ?? false,
    MaximumRetryAttempts: s.maximumRetryAttempts ?? -1,
    FunctionResponseTypes: [...(s.functionResponseTypes ?? [])],
    EventSourceMappingArn: `arn:aws:lambda:${region}:${accountId}:event-source-mapping:${mapping.uuid}`,
  };
}
