/** Lambda functions with Node.js runtimes, run here (src/lambda-runtime.ts) from their cdk.out asset. */

import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createLambdaFunction as startLambdaFunction } from '../../lambda-runtime.js';
import { NO_VALUE } from '../intrinsics.js';
import { synthesizedAttributes } from '../naming.js';
import type { TemplateResource } from '../types.js';
import { provideRuntimeSdk, unpackZip } from '../unpack-zip.js';
import { getPath, isRecord, notApplied } from '../util.js';
import type { Created, CreatorContext } from './context.js';

export async function createLambdaFunction(
  ctx: CreatorContext,
  logicalId: string,
  p: Record<string, unknown>,
  raw: TemplateResource,
): Promise<Created> {
  const { local, options, resources, functions, functionRoles, resolver, warn, nameFor } = ctx;
  const name = nameFor('AWS::Lambda::Function', logicalId, p);
  const base = synthesizedAttributes('AWS::Lambda::Function', logicalId, name, local);
  const runtime = String(p.Runtime ?? '');
  const skip = (reason: string): Created => ({ ...base, skipped: reason });
  if (p.PackageType === 'Image') return skip('container image functions do not run here');
  if (!runtime.startsWith('nodejs'))
    return skip(`runtime ${runtime || '(none)'} does not run here (Node.js only)`);
  if (Array.isArray(p.Layers) && p.Layers.length > 0) return skip('layers are not supported locally');
  const code = await functionCode(ctx, logicalId, p, raw);
  if (typeof code !== 'object' || 'reason' in code) return skip(code.reason);
  const codeDir = code.dir;

  // Each variable on its own, to know which resources it references.
  const rawVariables = getPath(raw.Properties ?? {}, 'Environment.Variables');
  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries(isRecord(rawVariables) ? rawVariables : {})) {
    const refs = new Set<string>();
    const resolved = resolver.resolve(value, refs);
    if (resolved === NO_VALUE) continue;
    const unserved = [...refs].filter((id) => resources.get(id)?.status === 'skipped');
    if (unserved.length > 0 && (options.skippedReferences ?? 'omit') === 'omit') {
      const what = unserved.map((id) => `${id} (${resources.get(id)?.type})`).join(', ');
      warn(
        `${logicalId}: environment variable ${key} left out: it references ${what}, which this cloud does not serve`,
      );
      continue;
    }
    environment[key] = typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
  }
  const logGroup = getPath(p, 'LoggingConfig.LogGroup');
  const fn = startLambdaFunction({
    functionName: name,
    functionArn: base.attributes.Arn as string,
    codeDir,
    handler: String(p.Handler ?? 'index.handler'),
    runtime,
    memorySize: Number(p.MemorySize ?? 128),
    timeoutSeconds: Number(p.Timeout ?? 3),
    environment: { ...environment, ...options.functionEnvironment },
    region: local.region,
    accountId: local.accountId,
    cloudEndpoint: local.cloudEndpoint,
    ...(typeof logGroup === 'string' ? { logGroupName: logGroup } : {}),
    ...(options.onLog ? { onLog: (line: string) => options.onLog?.(logicalId, line) } : {}),
    ...(options.logSink ? { logSink: options.logSink } : {}),
    ...(options.serviceMetrics ? { serviceMetrics: options.serviceMetrics } : {}),
  });
  functions.set(logicalId, fn);
  if (typeof p.Role === 'string') functionRoles.set(fn, p.Role);
  return {
    ...base,
    stop: async () => {
      await fn.stop();
      if (functions.get(logicalId) === fn) functions.delete(logicalId);
      if (code.temporary) rmSync(codeDir, { recursive: true, force: true });
    },
    notes: [
      `code ${code.from}`,
      ...notApplied(p, [
        'FunctionName',
        'Code',
        'Handler',
        'Runtime',
        'MemorySize',
        'Timeout',
        'Environment',
        'Role',
        'LoggingConfig',
        'PackageType',
        'Layers',
      ]),
    ],
  };
}

/**
 * The folder of a function's code: the cdk.out asset folder of Code.S3Key (a deployment from cdk.out), else the
 * zip at Code.S3Bucket/S3Key in the cloud's S3 (what the CDK CLI published), unpacked; or an inline ZipFile.
 */
async function functionCode(
  ctx: CreatorContext,
  logicalId: string,
  p: Record<string, unknown>,
  raw: TemplateResource,
): Promise<{ dir: string; from: string; temporary: boolean } | { reason: string }> {
  const { cdkOut, assets } = ctx;
  const code = isRecord(p.Code) ? p.Code : {};
  if (typeof code.ZipFile === 'string') {
    const dir = mkdtempSync(join(tmpdir(), `sf-inline-${logicalId}-`));
    writeFileSync(join(dir, 'index.js'), code.ZipFile);
    return { dir, from: 'inline ZipFile', temporary: true };
  }
  let path: string | undefined;
  if (typeof code.S3Key === 'string' && cdkOut !== undefined) {
    const hash = code.S3Key.replace(/\.[a-z]+$/i, '');
    const source = assets.files?.[hash]?.source;
    if (source?.path) path = join(cdkOut, source.path);
  }
  const metadataPath = raw.Metadata?.['aws:asset:path'];
  if (path === undefined && typeof metadataPath === 'string' && cdkOut !== undefined) {
    path = join(cdkOut, metadataPath);
  }
  if (path !== undefined && existsSync(path) && statSync(path).isDirectory()) {
    return { dir: path, from: path, temporary: false };
  }
  if (typeof code.S3Bucket === 'string' && typeof code.S3Key === 'string') {
    const location = `s3://${code.S3Bucket}/${code.S3Key}`;
    let zip: Uint8Array;
    try {
      const object = await ctx.s3.send(new GetObjectCommand({ Bucket: code.S3Bucket, Key: code.S3Key }));
      zip = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (error) {
      throw new Error(
        `its code ${location} could not be read from the cloud's S3: ${(error as Error).message}`,
      );
    }
    const dir = mkdtempSync(join(tmpdir(), `sf-code-${logicalId}-`));
    try {
      unpackZip(zip, dir);
      provideRuntimeSdk(dir);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`its code ${location} is not a zip archive that unpacks: ${(error as Error).message}`);
    }
    return { dir, from: location, temporary: true };
  }
  if (path !== undefined) return { reason: `its asset ${path} is missing (synthesize again)` };
  return { reason: 'its code is neither in S3, nor a cdk.out asset, nor inline' };
}
