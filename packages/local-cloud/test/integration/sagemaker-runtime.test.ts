/**
 * The SageMaker runtime emulator serves the model its caller plugs in (an EndpointModel), through the SDK's
 * SageMakerRuntimeClient: the model's score and version are answered, and a model that throws is the
 * container's 400, answered as a 424 ModelError (never a 5xx for the client's input).
 */
import { InvokeEndpointCommand, ModelError, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EndpointModel, SageMakerRuntimeEmulator } from '../../src/sagemaker-runtime.js';

/** A model of the caller's own: the sum of the numeric features; it refuses a feature named `poison`. */
const sumModel: EndpointModel = {
  version: 'sum-1',
  scoreVector(features) {
    if ('poison' in features) throw new Error('feature poison is not accepted');
    return Object.values(features).reduce<number>((sum, v) => sum + (typeof v === 'number' ? v : 0), 0);
  },
};

let emulator: SageMakerRuntimeEmulator;
let client: SageMakerRuntimeClient;

beforeAll(async () => {
  emulator = await new SageMakerRuntimeEmulator({
    endpoints: { 'Sum-Endpoint': { model: sumModel, modelVersion: true } },
  }).start();
  client = new SageMakerRuntimeClient({
    endpoint: emulator.origin,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  client?.destroy();
  await emulator?.stop();
});

async function invoke(endpointName: string, body: unknown) {
  const answer = await client.send(
    new InvokeEndpointCommand({
      EndpointName: endpointName,
      ContentType: 'application/json',
      Body: new TextEncoder().encode(JSON.stringify(body)),
    }),
  );
  return JSON.parse(new TextDecoder().decode(answer.Body)) as Record<string, unknown>;
}

describe('SageMaker runtime emulator with a model plugged in by its caller', () => {
  it("answers the caller's model's score and version, names matching case-insensitively", async () => {
    expect(await invoke('sum-endpoint', { features: { a: 2, b: 3.5, c: 'text' } })).toEqual({
      score: 5.5,
      modelVersion: 'sum-1',
    });
  });

  it('answers a model that throws as a 424 ModelError with the original 400 and message', async () => {
    const error = await invoke('Sum-Endpoint', { features: { poison: 1 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).$metadata.httpStatusCode).toBe(424);
    expect((error as ModelError).OriginalStatusCode).toBe(400);
    expect((error as ModelError).OriginalMessage).toBe('feature poison is not accepted');
  });
});
