/** The fraud spec compiled, and two delayed labels it accepts: one naming its request by id, one by keys and time. */
import { readFileSync } from 'node:fs';
import { compileSpec, parseSpecJson } from '../../core/index.js';

export const FRAUD_COMPILED = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));
export const LABEL_BY_ID = { request_id: 'Ab1Cd2EfGhI=', label: 1, label_time: '2026-11-20T10:00:00Z' };
export const LABEL_BY_KEYS = {
  card_id: 'c1',
  merchant_id: 'm9',
  ts: '2026-11-01T10:00:00Z',
  label: false,
  label_time: 1763600000000,
};
