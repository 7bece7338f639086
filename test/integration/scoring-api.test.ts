/**
 * The scoring API of the synthesized stack on the embedded local cloud: the real score bundle behind the HTTP API
 * adapter, IAM auth checked by SigV4. (`npm test` synthesizes cdk.out before the tests run.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_VERSION } from '../../lib/config.js';
import { startDeployHooks } from '../../packages/local-cloud/src/deploy-hooks.js';
import { type Deployment, deployTemplate } from '../../packages/local-cloud/src/deploy-template.js';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/local-cloud.js';
import { signedPostHeaders } from '../support/sigv4.js';

let cloud: LocalCloud;
let deployment: Deployment;
let scoringUrl: string;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  const hooks = await startDeployHooks(cloud);
  deployment = await deployTemplate({
    cloudEndpoint: cloud.endpoint,
    stackName: 'streamfeatures-dev',
    cdkOut: 'cdk.out',
    hooks: hooks.hooks,
  });
  scoringUrl = hooks.urls()['POST /score'] as string;
});

afterAll(async () => {
  await deployment?.stop();
  await cloud?.stop();
});

async function post(body: string, signWith?: { accessKeyId: string; secretAccessKey: string }) {
  const url = new URL(scoringUrl);
  let headers: Record<string, string> = { host: url.host, 'content-type': 'application/json' };
  if (signWith) headers = await signedPostHeaders(url, body, { credentials: signWith });
  const response = await fetch(scoringUrl, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const caller = { accessKeyId: 'test', secretAccessKey: 'test' };

describe('the deployed scoring API', () => {
  it('answers a signed request with a score, the features used, the model version and timings', async () => {
    const request = {
      entities: { card: { card_id: 'c1' }, card_merchant: { card_id: 'c1', merchant_id: 'm1' } },
    };
    const { status, body } = await post(JSON.stringify(request), caller);
    expect(status).toBe(200);
    expect(typeof body.score).toBe('number');
    expect(body).toMatchObject({
      modelVersion: DEFAULT_MODEL_VERSION,
      backend: 'embedded',
      variant: 'champion',
    });
    expect(body.features).toMatchObject({ card_txn_count_10m: 0, card_merchant_txn_count_7d: 0 });
    expect(Object.keys(body.timings as object)).toEqual(
      expect.arrayContaining(['featuresMs', 'modelMs', 'totalMs']),
    );
  });

  it('answers 400 naming the bad field and value', async () => {
    const { status, body } = await post(JSON.stringify({ entities: { card: { card_id: '' } } }), caller);
    expect(status).toBe(400);
    expect(body.message).toContain('entities.card.card_id');
  });

  it('answers 403 to a request without a signature or with a wrong secret', async () => {
    const request = JSON.stringify({ entities: { card: { card_id: 'c1' } } });
    expect((await post(request)).status).toBe(403);
    expect((await post(request, { accessKeyId: 'test', secretAccessKey: 'wrong' })).status).toBe(403);
  });
});
