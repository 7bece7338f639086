/**
 * `cdk bootstrap` in process: the CDK CLI's own bootstrap template (the bootstrap-template.yaml the aws-cdk
 * package exports) deployed as the CDKToolkit stack with its defaults, as the CLI would. The demo runs it before
 * deploying its stack, whose BootstrapVersion parameter reads the version this stack puts in SSM.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Deployment } from '../deploy/types.js';
import type { CloudFormationService } from './service.js';
import { parseTemplate } from './template-source.js';

export const TOOLKIT_STACK = 'CDKToolkit';

export async function bootstrapEnvironment(service: CloudFormationService): Promise<Deployment> {
  const existing = service.find(TOOLKIT_STACK);
  if (existing !== undefined && /^(CREATE|UPDATE)_COMPLETE$/.test(existing.status)) return existing.live;
  const path = createRequire(import.meta.url).resolve('aws-cdk/lib/api/bootstrap/bootstrap-template.yaml');
  const body = readFileSync(path, 'utf8');
  return service.deploy({
    stackName: TOOLKIT_STACK,
    template: parseTemplate(body),
    body,
    capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
  });
}
