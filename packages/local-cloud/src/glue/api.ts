/**
 * Glue's JSON 1.1 API (`X-Amz-Target: AWSGlue.<Operation>`, signing name `glue`) over the local catalog:
 * GetDatabase, GetDatabases, GetTable, GetTables (its `Expression` pattern, `MaxResults`/`NextToken` pages).
 * Errors by Glue's names: EntityNotFoundException, InvalidInputException.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsApiError } from '../services/aws-errors.js';
import {
  type JsonObject,
  jsonProtocolHandler,
  optionalNumber,
  optionalString,
} from '../services/json-protocol.js';
import type { GlueCatalog } from './catalog.js';

export const GLUE_TARGET_PREFIX = 'AWSGlue.';
const DEFAULT_PAGE = 100;

function required(input: JsonObject, name: string): string {
  const value = optionalString(input, name);
  if (value === undefined || value === '') {
    throw new AwsApiError('InvalidInputException', `${name} is required`);
  }
  return value;
}

function page<T>(items: readonly T[], input: JsonObject): { items: T[]; nextToken?: string } {
  const max = optionalNumber(input, 'MaxResults') ?? DEFAULT_PAGE;
  if (!Number.isInteger(max) || max < 1 || max > 1000) {
    throw new AwsApiError('InvalidInputException', `MaxResults must be from 1 to 1000 (got ${max})`);
  }
  const token = optionalString(input, 'NextToken');
  const start = token === undefined ? 0 : Number(token);
  if (!Number.isInteger(start) || start < 0) {
    throw new AwsApiError(
      'InvalidInputException',
      `NextToken ${JSON.stringify(token)} is not a token of this API`,
    );
  }
  const end = start + max;
  return { items: items.slice(start, end), ...(end < items.length ? { nextToken: String(end) } : {}) };
}

export function createGlueApi(
  catalog: GlueCatalog,
  onInternalError?: (message: string) => void,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return jsonProtocolHandler({
    targetPrefix: GLUE_TARGET_PREFIX,
    contentType: 'application/x-amz-json-1.1',
    ...(onInternalError === undefined ? {} : { onInternalError }),
    operations: {
      GetDatabase: (input) => ({ Database: catalog.getDatabase(required(input, 'Name')) }),
      GetDatabases: (input) => {
        const { items, nextToken } = page(catalog.getDatabases(), input);
        return { DatabaseList: items, ...(nextToken === undefined ? {} : { NextToken: nextToken }) };
      },
      GetTable: (input) => ({
        Table: catalog.getTable(required(input, 'DatabaseName'), required(input, 'Name')),
      }),
      GetTables: (input) => {
        const tables = catalog.getTables(
          required(input, 'DatabaseName'),
          optionalString(input, 'Expression'),
        );
        const { items, nextToken } = page(tables, input);
        return { TableList: items, ...(nextToken === undefined ? {} : { NextToken: nextToken }) };
      },
    },
  });
}
