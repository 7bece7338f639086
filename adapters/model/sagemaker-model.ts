import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { type FeatureVector, ModelError, type ModelScore, type ScoringModel } from './model.js';

export interface SageMakerModelOptions {
  readonly client: Pick<SageMakerRuntimeClient, 'send'>;
  readonly endpointName: string;
  /** The whole call, SDK retries included, is abandoned after this long. */
  readonly timeoutMs: number;
}

const encoder = new TextEncoder();

/**
 * A model behind a SageMaker endpoint. Request: `application/json` `{"features": {name: value}}`; response:
 * `{"score": number}`, with an optional `"modelVersion"` (else the endpoint name and the variant that answered).
 */
export class SageMakerModel implements ScoringModel {
  readonly backend = 'sagemaker' as const;

  constructor(private readonly options: SageMakerModelOptions) {}

  async score(features: FeatureVector): Promise<ModelScore> {
    const { client, endpointName, timeoutMs } = this.options;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let text: string;
    let variant: string | undefined;
    try {
      const output = await client.send(
        new InvokeEndpointCommand({
          EndpointName: endpointName,
          ContentType: 'application/json',
          Accept: 'application/json',
          Body: encoder.encode(JSON.stringify({ features })),
        }),
        { abortSignal: controller.signal },
      );
      text = output.Body ? new TextDecoder().decode(output.Body) : '';
      variant = output.InvokedProductionVariant;
    } catch (error) {
      if (controller.signal.aborted) {
        throw new ModelError(
          `SageMaker endpoint "${endpointName}" did not answer within ${timeoutMs} ms`,
          'timeout',
          {
            cause: error,
          },
        );
      }
      throw new ModelError(
        `SageMaker endpoint "${endpointName}" failed: ${(error as Error).message}`,
        'error',
        {
          cause: error,
        },
      );
    } finally {
      clearTimeout(timer);
    }
    return parseAnswer(text, endpointName, variant);
  }
}

function parseAnswer(text: string, endpointName: string, variant: string | undefined): ModelScore {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ModelError(
      `SageMaker endpoint "${endpointName}" answered with non-JSON: ${text.slice(0, 80)}`,
      'error',
    );
  }
  const { score, modelVersion } = (body ?? {}) as { score?: unknown; modelVersion?: unknown };
  if (typeof score !== 'number' || !Number.isFinite(score)) {
    throw new ModelError(
      `SageMaker endpoint "${endpointName}" answered without a numeric "score": ${text.slice(0, 80)}`,
      'error',
    );
  }
  return {
    score,
    modelVersion:
      typeof modelVersion === 'string' && modelVersion !== ''
        ? modelVersion
        : `sagemaker:${endpointName}${variant ? `/${variant}` : ''}`,
  };
}
