/** The shell commands that deploy a retrained model as a shadow challenger, promote it, and roll back. */
import { s3Location } from '../adapters/archive/archive-files.js';
import type { RetrainReport } from './retrain-report.js';

/**
 * The deploys, with the app's real context keys (lib/config.ts): `modelRegistry`, `modelVersion`, `challenger`.
 * The CDK app reads the registry from a folder at synth, so an S3 registry is copied down first.
 */
export function deployCommands(
  registry: string,
  champion: string,
  retrained: string,
): RetrainReport['commands'] {
  const inS3 = s3Location(registry) !== undefined;
  const folder = inS3 ? 'models' : registry;
  const base = `npx cdk deploy -c modelRegistry=${shellWord(folder)}`;
  const rollback = `${base} -c modelVersion=${champion}`;
  return {
    ...(inS3 ? { copyRegistry: `aws s3 sync ${shellWord(registry)} ${folder}` } : {}),
    ...(retrained === champion
      ? {}
      : {
          shadow: `${rollback} -c 'challenger=${JSON.stringify({ mode: 'shadow', version: retrained })}'`,
          promote: `${base} -c modelVersion=${retrained}`,
        }),
    rollback,
  };
}

function shellWord(word: string): string {
  return /^[\w./:@=+-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
