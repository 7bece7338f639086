/**
 * Deploys a synthesized stack from a cdk.out folder in this process, through a CloudFormation service of its own
 * (src/cloudformation/service.ts): the one deploy path, the one `cdk deploy` drives on the local cloud.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CloudFormationService } from '../cloudformation/service.js';
import type { AssetManifest, Deployment, DeployTemplateOptions, Template } from './types.js';

/** The template and asset manifest of `stackName` in `cdkOut`, for `CloudFormationService.deploy`. */
export function cdkOutStack(
  cdkOutDir: string,
  stackName: string,
): { template: Template; body: string; source: { cdkOut: string; assets: AssetManifest } } {
  const cdkOut = resolve(cdkOutDir);
  const templatePath = join(cdkOut, `${stackName}.template.json`);
  if (!existsSync(templatePath)) {
    throw new Error(`No template ${templatePath}: synthesize the app first (npx cdk synth --quiet).`);
  }
  const body = readFileSync(templatePath, 'utf8');
  const assetsPath = join(cdkOut, `${stackName}.assets.json`);
  const assets: AssetManifest = existsSync(assetsPath)
    ? (JSON.parse(readFileSync(assetsPath, 'utf8')) as AssetManifest)
    : {};
  return { template: JSON.parse(body) as Template, body, source: { cdkOut, assets } };
}

export async function deployTemplate(options: DeployTemplateOptions): Promise<Deployment> {
  const service = new CloudFormationService(options);
  const stack = cdkOutStack(options.cdkOut ?? 'cdk.out', options.stackName);
  try {
    const deployment = await service.deploy({
      stackName: options.stackName,
      ...stack,
      parameters: Object.entries(options.parameters ?? {}).map(([ParameterKey, ParameterValue]) => ({
        ParameterKey,
        ParameterValue,
      })),
    });
    return Object.assign(Object.create(deployment) as Deployment, { stop: () => service.stop() });
  } catch (error) {
    await service.stop();
    throw new Error(
      `Deploying ${options.stackName} to ${options.cloudEndpoint} failed: ${(error as Error).message}`,
    );
  }
}
