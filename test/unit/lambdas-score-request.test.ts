import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSpec, parseSpecJson } from '../../core/index.js';
import { parseScoreRequest } from '../../lambdas/score/request.js';
import { HttpError, httpApiEvent, jsonBody } from '../../lambdas/shared/http.js';

const spec = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));

function messageOf(body: unknown): string {
  try {
    parseScoreRequest(spec, body);
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).statusCode).toBe(400);
    return (error as HttpError).message;
  }
  throw new Error('expected a 400');
}

describe('score request validation', () => {
  it('accepts entities with their full keys, in request order, and t', () => {
    const request = parseScoreRequest(spec, {
      entities: {
        card: { card_id: 'c1' },
        card_merchant: { card_id: 'c1', merchant_id: 42 },
      },
      t: 1_700_000_000_000,
    });
    expect(request).toEqual({
      entities: [
        { entity: 'card', key: { card_id: 'c1' } },
        { entity: 'card_merchant', key: { card_id: 'c1', merchant_id: 42 } },
      ],
      t: 1_700_000_000_000,
    });
  });

  it('leaves t unset when the request gives none (the handler reads as of now)', () => {
    expect(parseScoreRequest(spec, { entities: { card: { card_id: 'c1' } } }).t).toBeUndefined();
  });

  it('fails on an unknown entity, naming it and the ones the spec has', () => {
    expect(messageOf({ entities: { cardd: { card_id: 'c1' } } })).toBe(
      'invalid request: entities.cardd: unknown entity (the spec has: card, merchant, card_merchant)',
    );
  });

  it('fails on a missing key field, naming the entity key', () => {
    expect(messageOf({ entities: { card_merchant: { card_id: 'c1' } } })).toBe(
      'invalid request: entities.card_merchant.merchant_id: missing (the key of "card_merchant" is card_id, merchant_id)',
    );
  });

  it('fails on a field that is not part of the key', () => {
    expect(messageOf({ entities: { card: { card_id: 'c1', merchant_id: 'm1' } } })).toBe(
      'invalid request: entities.card.merchant_id: not a key field of "card" (its key is card_id)',
    );
  });

  it('fails on an empty key value, quoting it', () => {
    expect(messageOf({ entities: { card: { card_id: '' } } })).toBe(
      'invalid request: entities.card.card_id: must be a non-empty string or a finite number (got "")',
    );
  });

  it('fails on a key value of the wrong type, quoting it', () => {
    expect(messageOf({ entities: { card: { card_id: true } } })).toBe(
      'invalid request: entities.card.card_id: must be a string or a number (got true)',
    );
  });

  it('fails on no entities at all', () => {
    expect(messageOf({ entities: {} })).toBe(
      'invalid request: entities: name at least one entity (the spec has: card, merchant, card_merchant)',
    );
  });

  it('fails on a missing entities field', () => {
    expect(messageOf({ t: 1 })).toMatch(/^invalid request: entities: must be an object naming each entity/);
  });

  it('fails on an entity key given as a string, quoting it', () => {
    expect(messageOf({ entities: { card: 'c1' } })).toBe(
      'invalid request: entities.card: must be an object of key fields, like {"card_id": "c1"} (got "c1")',
    );
  });

  it('fails on a t that is not whole epoch milliseconds, quoting it', () => {
    expect(messageOf({ entities: { card: { card_id: 'c1' } }, t: '2024-01-01' })).toBe(
      'invalid request: t: must be epoch milliseconds (a whole number) (got "2024-01-01")',
    );
    expect(messageOf({ entities: { card: { card_id: 'c1' } }, t: 1.5 })).toMatch(/^invalid request: t: /);
    expect(messageOf({ entities: { card: { card_id: 'c1' } }, t: -1 })).toMatch(/^invalid request: t: /);
  });

  it('fails on an unknown top-level field, naming it', () => {
    expect(messageOf({ entities: { card: { card_id: 'c1' } }, entity: 'card' })).toBe(
      'invalid request: entity: unknown key (got "card")',
    );
  });

  it('fails on a body that is not an object', () => {
    expect(messageOf([1, 2])).toBe('invalid request: (body): the body must be a JSON object (got [1,2])');
  });

  it('lists every problem at once', () => {
    const message = messageOf({ entities: { cardd: { card_id: 'c1' }, merchant: {} } });
    expect(message).toContain('entities.cardd: unknown entity');
    expect(message).toContain('entities.merchant.merchant_id: missing');
  });
});

describe('request bodies', () => {
  it('answers 400 to a body that is not JSON, with the parser message', () => {
    expect(() => jsonBody(httpApiEvent('{"entities": '))).toThrow(/^the body is not JSON: /);
  });

  it('answers 400 to no body', () => {
    expect(() => jsonBody({ body: undefined, isBase64Encoded: false })).toThrow(/no body/);
  });

  it('decodes a base64 body', () => {
    expect(jsonBody(httpApiEvent({ a: 'é' }, { base64: true }))).toEqual({ a: 'é' });
  });
});
