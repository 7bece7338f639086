import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSpec, MAX_KEY_BYTES, parseSpecJson } from '../../core/index.js';
import { MAX_SCORE_REQUEST_BYTES, parseScoreRequest } from '../../lambdas/score/request.js';
import {
  HttpError,
  httpApiEvent,
  jsonBody,
  MAX_JSON_DEPTH,
  MAX_LISTED_PROBLEMS,
  parseJson,
} from '../../lambdas/shared/http.js';

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

describe('score requests the store cannot answer', () => {
  // The store's key is `card#<card_id>`: 5 bytes before the value.
  const fits = 'x'.repeat(MAX_KEY_BYTES - 5);

  it("accepts a key whose stored form is exactly the store's key limit (2000 bytes: DynamoDB's 2048 less the store's reserve)", () => {
    expect(parseScoreRequest(spec, { entities: { card: { card_id: fits } } }).entities).toHaveLength(1);
  });

  it('fails on a key one byte over, naming the field, the byte count and the limit', () => {
    expect(messageOf({ entities: { card: { card_id: `${fits}x` } } })).toBe(
      `invalid request: entities.card.card_id: key too long: the store's key for it is 2001 bytes (UTF-8, "card#" and escapes included); the store takes at most 2000`,
    );
  });

  it('counts UTF-8 bytes and the escapes of % and #, not characters', () => {
    // 700 characters, each escaped to 3 bytes (%23): 2105 bytes stored.
    expect(messageOf({ entities: { card: { card_id: '#'.repeat(700) } } })).toContain('2105 bytes');
    // 700 three-byte characters.
    expect(messageOf({ entities: { card: { card_id: '€'.repeat(700) } } })).toContain('2105 bytes');
    expect(parseScoreRequest(spec, { entities: { card: { card_id: 'é'.repeat(990) } } }).t).toBeUndefined();
  });

  it('fails on a composite key too long as a whole, naming the entity', () => {
    const message = messageOf({
      entities: { card_merchant: { card_id: 'c'.repeat(1100), merchant_id: 'm'.repeat(1000) } },
    });
    expect(message).toMatch(/^invalid request: entities\.card_merchant: key too long: .* 2115 bytes/);
  });

  it('lists the first problems and how many more, so a 400 stays small', () => {
    const entities: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) entities[`shop${i}`] = { shop_id: 's' };
    const message = messageOf({ entities });
    expect(message).toContain('entities.shop0: unknown entity');
    expect(message).toContain(`entities.shop${MAX_LISTED_PROBLEMS - 1}: unknown entity`);
    expect(message).not.toContain(`entities.shop${MAX_LISTED_PROBLEMS}:`);
    expect(message).toMatch(new RegExp(`; and ${100_000 - MAX_LISTED_PROBLEMS} more$`));
    expect(message.length).toBeLessThan(2_000);
  });

  it('bounds schema problems the same way', () => {
    const entities: Record<string, unknown> = {};
    for (let i = 0; i < 50_000; i++) entities[`e${i}`] = true;
    const message = messageOf({
      entities,
      ...Object.fromEntries([...Array(20_000).keys()].map((i) => [`x${i}`, 1])),
    });
    expect(message).toMatch(/; and \d+ more$/);
    expect(message.length).toBeLessThan(2_000);
  });

  it('cuts a very long entity or field name in the message', () => {
    const name = 'n'.repeat(100_000);
    const message = messageOf({
      entities: { [name]: { card_id: 'c1' }, card: { card_id: 'c1', [name]: 1 } },
    });
    expect(message).toContain(`entities.${'n'.repeat(61)}...: unknown entity`);
    expect(message).toContain(`entities.card.${'n'.repeat(61)}...: not a key field`);
    expect(message.length).toBeLessThan(1_000);
  });
});

describe('request bodies', () => {
  const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

  it(`parses a body nested ${MAX_JSON_DEPTH} levels deep`, () => {
    expect(jsonBody(httpApiEvent(nested(MAX_JSON_DEPTH)))).toBeInstanceOf(Array);
  });

  it('answers 400 to a body nested deeper, before parsing it (20,000 levels overflowed the stack)', () => {
    for (const text of [nested(MAX_JSON_DEPTH + 1), `{"entities":{"card":{"card_id":${nested(20_000)}}}}`]) {
      expect(() => jsonBody(httpApiEvent(text))).toThrow(
        `the body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`,
      );
    }
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ a: `"${'['.repeat(100)}\\"{{{` });
    expect(jsonBody(httpApiEvent(text))).toEqual(JSON.parse(text));
  });

  it('answers 413 to a body over the limit, naming its size and the limit, base64 or not', () => {
    const body = JSON.stringify({ pad: 'x'.repeat(MAX_SCORE_REQUEST_BYTES) });
    for (const base64 of [false, true]) {
      let error: unknown;
      try {
        jsonBody(httpApiEvent(body, { base64 }), { maxBytes: MAX_SCORE_REQUEST_BYTES });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).statusCode).toBe(413);
      expect((error as HttpError).message).toBe(
        `the body is ${body.length} bytes: this API takes at most ${MAX_SCORE_REQUEST_BYTES}`,
      );
    }
  });

  it('answers 400 to a body that is not JSON, with the parser message', () => {
    expect(() => jsonBody(httpApiEvent('{"entities": '))).toThrow(/^the body is not JSON: /);
  });

  it('answers 400 to no body', () => {
    expect(() => jsonBody({ body: undefined, isBase64Encoded: false })).toThrow(/no body/);
  });

  it('decodes a base64 body', () => {
    expect(jsonBody(httpApiEvent({ a: 'é' }, { base64: true }))).toEqual({ a: 'é' });
  });

  it('parseJson returns the value, or the problem without throwing: too deep, or not JSON with the parser message cut', () => {
    expect(parseJson('{"a":[1]}')).toEqual({ value: { a: [1] } });
    expect(parseJson(nested(MAX_JSON_DEPTH + 1))).toEqual({
      problem: { kind: 'too deep', reason: `nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels` },
    });
    const notJson = parseJson(`{"a": ${'x'.repeat(500)}`);
    expect(notJson).toMatchObject({ problem: { kind: 'not JSON' } });
    const reason = 'problem' in notJson ? notJson.problem.reason : '';
    expect(reason.length).toBeLessThanOrEqual(200);
    expect(reason).toMatch(/JSON/);
  });
});
