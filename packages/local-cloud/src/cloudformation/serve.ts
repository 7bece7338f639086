/**
 * Plugs CloudFormation and SSM Parameter Store into a running local cloud: the deploy hooks (the cloud's
 * Firehose, the SageMaker runtime, HTTP APIs: src/deploy-hooks.ts), the Parameter Store, and the CloudFormation
 * service whose stacks run in this process until the cloud stops (their mappings and functions stop first, then
 * the emulators they write to).
 */

import { S3Client } from '@aws-sdk/client-s3';
import { type DeployHooks, startDeployHooks } from '../deploy-hooks.js';
import { registryOfDeployments } from '../lambda-api/registry.js';
import type { LocalCloud } from '../local-cloud.js';
import { ParameterStore } from '../ssm/parameter-store.js';
import { startSsmServer } from '../ssm/server.js';
import { startCloudFormationServer } from './server.js';
import { CloudFormationService } from './service.js';

export interface CloudFormationPlugin {
  readonly service: CloudFormationService;
  readonly parameters: ParameterStore;
  readonly hooks: DeployHooks;
}

export interface ServeCloudFormationOptions {
  /** Log lines of the deployed functions, mappings and hooked emulators. */
  onLog?: (source: string, line: string) => void;
  /** Each CloudFormation action called, with its error when it failed. */
  onCall?: (action: string, error?: string) => void;
  /** Settings of the event-source mappings' runners. */
  mappingOptions?: { pollIntervalMs?: number; retryBaseDelayMs?: number; retryMaxDelayMs?: number };
}

export async function serveCloudFormation(
  cloud: LocalCloud,
  options: ServeCloudFormationOptions = {},
): Promise<CloudFormationPlugin> {
  const hooks = await startDeployHooks(cloud, options.onLog === undefined ? {} : { onLog: options.onLog });
  const parameters = new ParameterStore();
  const ssm = await startSsmServer(parameters);
  cloud.route('ssm', ssm.origin, ssm);
  const service = new CloudFormationService({
    cloudEndpoint: cloud.endpoint,
    hooks: hooks.hooks,
    ssm: parameters,
    // Function output to CloudWatch Logs (and EMF lines to metrics), as the cloud's other functions.
    logSink: cloud.services.logSink,
    // The cloud's own rules and buses, which its EventBridge API serves.
    eventRules: cloud.eventRules,
    // Its stacks' alarms are judged on its own metrics, and listed by its CloudWatch API.
    alarms: cloud.services.cloudwatch.alarms,
    // What its functions and mappings publish as AWS services goes to its own CloudWatch.
    serviceMetrics: cloud.services.cloudwatch.serviceMetrics,
    ...(options.mappingOptions === undefined ? {} : { mappingOptions: options.mappingOptions }),
    ...(options.onLog === undefined ? {} : { onLog: options.onLog }),
  });
  const s3 = new S3Client({
    endpoint: cloud.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    forcePathStyle: true,
  });
  // The Lambda API serves the deployed stacks' functions and mappings.
  const removeRegistry = cloud.services.addRegistry(registryOfDeployments(() => service.deployments()));
  const server = await startCloudFormationServer(
    service,
    s3,
    options.onCall === undefined ? {} : { onCall: options.onCall },
  );
  cloud.route('cloudformation', server.origin, {
    stop: async () => {
      await server.stop();
      removeRegistry();
      await service.stop();
      s3.destroy();
    },
  });
  return { service, parameters, hooks };
}
