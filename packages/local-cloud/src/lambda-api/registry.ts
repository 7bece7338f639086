/**
 * What the Lambda API serves: the running functions and event-source mappings, wherever they come from (the
 * stacks deployed on the cloud, or a test's own), and how a FunctionName names one.
 */

import type { Deployment } from '../deploy/types.js';
import type { KinesisEventSourceMapping } from '../event-source-mapping.js';
import type { LocalLambdaFunction } from '../lambda-runtime.js';

export interface LambdaRegistry {
  functions(): Iterable<LocalLambdaFunction>;
  mappings(): Iterable<KinesisEventSourceMapping>;
}

/** The registry of the live deployments (read anew at each call, so new stacks show up at once). */
export function registryOfDeployments(deployments: () => Iterable<Deployment>): LambdaRegistry {
  return {
    *functions() {
      for (const deployment of deployments()) yield* deployment.functions.values();
    },
    *mappings() {
      for (const deployment of deployments()) yield* deployment.mappings.values();
    },
  };
}

/** Several registries as one (e.g. the deployments and functions a program runs itself). */
export function combinedRegistry(...registries: LambdaRegistry[]): LambdaRegistry {
  return {
    *functions() {
      for (const r of registries) yield* r.functions();
    },
    *mappings() {
      for (const r of registries) yield* r.mappings();
    },
  };
}

/**
 * The function a FunctionName names, as Lambda reads it: a name (`my-function`), a full ARN
 * (`arn:aws:lambda:us-east-1:123456789012:function:my-function`, with an optional `:$LATEST` qualifier) or a
 * partial ARN (`123456789012:function:my-function`).
 */
export function findFunction(registry: LambdaRegistry, nameOrArn: string): LocalLambdaFunction | undefined {
  const name = functionNameOf(nameOrArn);
  for (const fn of registry.functions()) if (fn.functionName === name) return fn;
  return undefined;
}

export function functionNameOf(nameOrArn: string): string {
  const match = /^(?:arn:[^:]+:lambda:[^:]*:)?(?:\d{12}:)?function:([^:]+)(?::(?:\$LATEST|[^:]+))?$/.exec(
    nameOrArn,
  );
  if (match) return match[1] as string;
  // `name:qualifier`
  const colon = nameOrArn.indexOf(':');
  return colon < 0 ? nameOrArn : nameOrArn.slice(0, colon);
}
