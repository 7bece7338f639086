/**
 * Hooks for `deployTemplate` (src/deploy-template.ts) that plug this process's emulators into the local cloud,
 * so the whole synthesized stack runs:
 *
 *   AWS::Glue::Database                    a database of the cloud's Glue catalog (src/glue/)
 *   AWS::Glue::Table                       a table of that catalog (an Iceberg table with its first metadata
 *                                          file in S3); a Hive table's columns registered with the Firehose
 *   AWS::KinesisFirehose::DeliveryStream   a stream of the Firehose emulator, served as `firehose` on the cloud's
 *                                          endpoint (functions reach it through AWS_ENDPOINT_URL)
 *   AWS::ApiGatewayV2::Api                 one LocalHttpApi per Api, served on the cloud's endpoint
 *                                          (ApiEndpoint `<endpoint>/_aws/execute-api/<apiId>`)
 *   AWS::ApiGatewayV2::Integration         the function an AWS_PROXY integration invokes
 *   AWS::ApiGatewayV2::Route               a route invoking that function; SigV4 checked where AuthorizationType
 *                                          is AWS_IAM
 *   AWS::ApiGatewayV2::Stage               the stage's DefaultRouteSettings (throttling)
 *
 * The SageMaker runtime emulator is started too and served as `sagemaker` (it answers only when the scoring
 * function's MODEL_BACKEND is sagemaker; with the embedded model nothing calls it).
 *
 * The SageMaker emulator is registered with the cloud, so `cloud.stop()` stops it before the endpoint; the
 * Firehose is the cloud's own (`cloud.services.firehose`), which the cloud stops (delivering what it buffers)
 * before the endpoint and the emulators behind it.
 */

import { randomBytes } from 'node:crypto';
import type { ResourceHook } from './deploy-template.js';
import type { FirehoseEmulator } from './firehose-emulator.js';
import { LocalHttpApi } from './http-api.js';
import type { LocalCloud } from './local-cloud.js';
import { SageMakerRuntimeEmulator } from './sagemaker-runtime.js';

export interface DeployHooksOptions {
  /** Delivery notices of the Firehose emulator, access-log lines of the HTTP APIs. */
  onLog?: (source: string, line: string) => void;
}

export interface LocalHttpApiDeployed {
  readonly logicalId: string;
  readonly apiId: string;
  readonly api: LocalHttpApi;
  /** Route keys, in the order the template's routes were deployed. */
  readonly routes: string[];
}

export interface DeployHooks {
  /** For `deployTemplate({ hooks })`. */
  readonly hooks: Partial<Record<string, ResourceHook>>;
  readonly firehose: FirehoseEmulator;
  readonly sagemaker: SageMakerRuntimeEmulator;
  /** The HTTP APIs created so far, by logical id. */
  readonly httpApis: Map<string, LocalHttpApiDeployed>;
  /**
   * The URL of each route of each API (`http://127.0.0.1:<port>/score`), by route key: the local
   * equivalent of the stack's ScoringUrl output. `$default` routes answer at the API's root.
   */
  urls(): Record<string, string>;
}

/** Starts the Firehose and SageMaker runtime emulators, routed on `cloud`, and answers the hooks. */
export async function startDeployHooks(
  cloud: LocalCloud,
  options: DeployHooksOptions = {},
): Promise<DeployHooks> {
  const log = options.onLog;
  // The cloud's own Firehose (src/services), already routed and stopped with the cloud.
  const firehose = cloud.services.firehose;
  // The cloud's Glue Data Catalog (src/glue/), served as `glue` on its endpoint.
  const glue = cloud.services.glue;
  const sagemaker = await new SageMakerRuntimeEmulator().start();
  cloud.route('sagemaker', sagemaker.origin, sagemaker);

  const httpApis = new Map<string, LocalHttpApiDeployed>();
  const byApiId = new Map<string, LocalHttpApiDeployed>();
  /** Integration id → the function ARN (or name) it invokes. */
  const integrations = new Map<string, string>();

  const hooks: Partial<Record<string, ResourceHook>> = {
    'AWS::Glue::Database': async (_logicalId, properties, context) => {
      const input = (properties.DatabaseInput ?? {}) as Record<string, unknown>;
      const name = glue.createDatabase({ ...input, Name: input.Name ?? context.physicalName.toLowerCase() });
      // Deleting the stack removes the catalog entry (and its tables' entries), never their data in S3.
      return { physicalId: name, remove: async () => glue.deleteDatabase(name) };
    },
    'AWS::Glue::Table': async (logicalId, properties, context) => {
      // An Iceberg table (a top-level Name and OpenTableFormatInput, no TableInput) gets its first metadata
      // file as Glue's CreateTable writes it; a Hive table's columns also go to the Firehose's conversion.
      const databaseName = String(properties.DatabaseName ?? '');
      const openFormat = properties.OpenTableFormatInput as
        | { IcebergInput?: Record<string, unknown> }
        | undefined;
      const iceberg = properties.TableInput === undefined && openFormat?.IcebergInput !== undefined;
      const input = properties.TableInput as Record<string, unknown> | undefined;
      const named = iceberg ? properties.Name : input?.Name;
      const requested = typeof named === 'string' ? named : context.physicalName.toLowerCase();
      const name = iceberg
        ? await glue.createIcebergTable(databaseName, requested, openFormat?.IcebergInput ?? {})
        : glue.createTable(databaseName, { ...input, Name: requested });
      if (!iceberg) firehose.registerGlueTableFromTemplate(properties as never);
      return {
        physicalId: name,
        attributes: { Name: name, LogicalId: logicalId },
        remove: async () => glue.deleteTable(databaseName, name),
      };
    },
    'AWS::KinesisFirehose::DeliveryStream': async (logicalId, properties, context) => {
      const { name, arn } = firehose.createFromTemplate(logicalId, properties as never, undefined, {
        stackName: context.stackName,
        physicalName: context.physicalName,
      });
      // Deleting the stream (an update that replaces it, the stack's deletion) delivers what it buffers.
      return {
        physicalId: name,
        attributes: { Arn: arn },
        stop: () => deleteDeliveryStream(firehose.origin, name),
      };
    },
    'AWS::ApiGatewayV2::Api': async (logicalId, properties, context) => {
      if (properties.ProtocolType !== undefined && properties.ProtocolType !== 'HTTP') {
        throw new Error(
          `${logicalId}: only HTTP APIs run locally (ProtocolType ${String(properties.ProtocolType)})`,
        );
      }
      const apiId = randomId();
      const api = await new LocalHttpApi({
        routes: [],
        apiId,
        accountId: context.accountId,
        region: context.region,
        serviceMetrics: cloud.services.cloudwatch.serviceMetrics,
        ...(log === undefined ? {} : { onLog: (line: string) => log(`http-api ${logicalId}`, line) }),
      }).start();
      const deployed: LocalHttpApiDeployed = { logicalId, apiId, api, routes: [] };
      httpApis.set(logicalId, deployed);
      byApiId.set(apiId, deployed);
      cloud.routeApi(apiId, api.origin);
      return {
        physicalId: apiId,
        attributes: {
          ApiId: apiId,
          ApiEndpoint: cloud.apiEndpoint(apiId),
        },
        stop: () => {
          cloud.unrouteApi(apiId);
          return api.stop();
        },
      };
    },
    'AWS::ApiGatewayV2::Integration': async (logicalId, properties) => {
      apiOf(String(properties.ApiId), logicalId);
      const type = String(properties.IntegrationType ?? '');
      if (type !== 'AWS_PROXY')
        throw new Error(`${logicalId}: only AWS_PROXY integrations run locally (got ${type})`);
      if (properties.PayloadFormatVersion !== undefined && properties.PayloadFormatVersion !== '2.0') {
        throw new Error(`${logicalId}: only payload format 2.0 runs locally`);
      }
      const id = randomId(7);
      integrations.set(id, String(properties.IntegrationUri ?? ''));
      return { physicalId: id, attributes: { IntegrationId: id } };
    },
    'AWS::ApiGatewayV2::Route': async (logicalId, properties, context) => {
      const deployed = apiOf(String(properties.ApiId), logicalId);
      const routeKey = String(properties.RouteKey ?? '');
      const target = String(properties.Target ?? '');
      const integrationId = /^integrations\/(.+)$/.exec(target)?.[1];
      const functionRef = integrationId === undefined ? undefined : integrations.get(integrationId);
      if (functionRef === undefined) {
        throw new Error(
          `${logicalId}: target ${JSON.stringify(target)} is not an integration of this deployment`,
        );
      }
      const authorization = String(properties.AuthorizationType ?? 'NONE');
      if (authorization !== 'NONE' && authorization !== 'AWS_IAM') {
        throw new Error(
          `${logicalId}: authorization ${authorization} is not emulated (NONE and AWS_IAM are)`,
        );
      }
      deployed.api.addRoute({
        routeKey,
        authorizationType: authorization,
        invoke: async (event) => {
          const fn = context.functionNamed(functionRef);
          if (fn === undefined) throw new Error(`no function ${functionRef} runs in this deployment`);
          const outcome = await fn.invoke(event);
          if (!outcome.ok) throw new Error(`${fn.functionName} failed: ${outcome.error.errorMessage}`);
          return outcome.payload as object;
        },
      });
      deployed.routes.push(routeKey);
      const id = randomId(7);
      return { physicalId: id, attributes: { RouteId: id } };
    },
    'AWS::ApiGatewayV2::Stage': async (logicalId, properties) => {
      const deployed = apiOf(String(properties.ApiId), logicalId);
      const settings = properties.DefaultRouteSettings as
        | { ThrottlingRateLimit?: unknown; ThrottlingBurstLimit?: unknown }
        | undefined;
      const rate = Number(settings?.ThrottlingRateLimit);
      const burst = Number(settings?.ThrottlingBurstLimit);
      if (Number.isFinite(rate) || Number.isFinite(burst)) {
        deployed.api.setDefaultRouteSettings({
          ...(Number.isFinite(rate) ? { throttlingRateLimit: rate } : {}),
          ...(Number.isFinite(burst) ? { throttlingBurstLimit: burst } : {}),
        });
      }
      const name = String(properties.StageName ?? '$default');
      return { physicalId: name };
    },
  };

  function apiOf(apiId: string, logicalId: string): LocalHttpApiDeployed {
    const deployed = byApiId.get(apiId);
    if (deployed === undefined)
      throw new Error(`${logicalId}: ApiId ${apiId} is not an HTTP API of this deployment`);
    return deployed;
  }

  return {
    hooks,
    firehose,
    sagemaker,
    httpApis,
    urls() {
      const urls: Record<string, string> = {};
      for (const deployed of httpApis.values()) {
        for (const routeKey of deployed.routes) {
          const path = routeKey === '$default' ? '/' : routeKey.split(' ')[1];
          urls[routeKey] = `${deployed.api.origin}${path}`;
        }
      }
      return urls;
    },
  };
}

/**
 * DeleteDeliveryStream through the emulator's own API, then DescribeDeliveryStream until the stream is gone, as
 * CloudFormation waits for a deleted stream: its last records are delivered before the resources it writes to
 * (an Iceberg table, its bucket) are deleted after it. A stream already gone is fine.
 */
async function deleteDeliveryStream(origin: string, name: string): Promise<void> {
  const call = async (operation: string) => {
    const response = await fetch(origin, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `Firehose_20150804.${operation}`,
      },
      body: JSON.stringify({ DeliveryStreamName: name }),
    });
    const text = await response.text();
    if (response.ok) return 'present';
    if (/ResourceNotFound/.test(text)) return 'gone';
    throw new Error(`${operation} ${name} answered ${response.status}: ${text.slice(0, 200)}`);
  };
  if ((await call('DeleteDeliveryStream')) === 'gone') return;
  while ((await call('DescribeDeliveryStream')) === 'present') {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** API Gateway ids: lower-case letters and digits (10 for an API, 7 for its parts). */
function randomId(length = 10): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join('');
}
