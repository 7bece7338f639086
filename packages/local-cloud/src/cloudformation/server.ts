/**
 * The local CloudFormation on the wire: query-protocol POSTs (form body, `Action=`), also GET with the fields in
 * the query string; XML answers. `onCall` sees each action, for a record of what clients called.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  acceptCustomResourceResponse,
  isCustomResourceResponsePath,
  MAX_RESPONSE_BYTES,
} from '../deploy/custom-resource-responses.js';
import { closeServer, listenLocal, readBody } from '../http-server.js';
import { cloudFormationAction } from './actions.js';
import { CloudFormationError, parseQuery, xmlError, xmlResponse } from './query-protocol.js';
import type { CloudFormationService } from './service.js';

const MAX_BODY = 2 * 1024 * 1024;

export interface CloudFormationServer {
  /** `http://127.0.0.1:<port>`, for the gateway's route. */
  readonly origin: string;
  stop(): Promise<void>;
}

export async function startCloudFormationServer(
  service: CloudFormationService,
  s3: S3Client,
  options: { onCall?: (action: string, error?: string) => void } = {},
): Promise<CloudFormationServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method === 'PUT' && isCustomResourceResponsePath(req.url ?? '')) {
      await answerResponseUrl(req, res);
      return;
    }
    let action = '';
    try {
      const body = await readBody(req, MAX_BODY);
      if (body === undefined) throw new CloudFormationError('The request body is over 2 MiB.');
      const query = new URL(req.url ?? '/', 'http://localhost').search.slice(1);
      const fields = parseQuery(body.length > 0 ? body.toString('utf8') : query);
      action = typeof fields.Action === 'string' ? fields.Action : '';
      if (action === '') throw new CloudFormationError('The request names no Action.', 'MissingAction');
      const result = await cloudFormationAction(service, s3, action, fields);
      options.onCall?.(action);
      send(res, 200, xmlResponse(action, result));
    } catch (error) {
      const known = error instanceof CloudFormationError;
      const failure = known
        ? error
        : new CloudFormationError(
            `The local CloudFormation failed: ${(error as Error).message}`,
            'InternalFailure',
            500,
          );
      options.onCall?.(action || '(none)', `${failure.code}: ${failure.message}`);
      send(res, failure.status, xmlError(failure));
    }
  };
  const { server, origin } = await listenLocal(handle);
  return { origin, stop: () => closeServer(server) };
}

/** A custom resource provider's PUT to its ResponseURL, answered as S3 answers a presigned PUT. */
async function answerResponseUrl(req: IncomingMessage, res: ServerResponse): Promise<void> {
  // Read past the 4 KB limit, so an oversized response fails the resource with AWS's reason instead of the PUT.
  const body = (await readBody(req, MAX_RESPONSE_BYTES * 16)) ?? Buffer.alloc(MAX_RESPONSE_BYTES * 16 + 1);
  const answer = acceptCustomResourceResponse(req.url ?? '', body);
  if (answer.status === 200) {
    res.writeHead(200, { etag: '"0"', 'content-length': 0 });
    res.end();
    return;
  }
  send(
    res,
    answer.status,
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${answer.code}</Code><Message>${answer.message}</Message></Error>`,
  );
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
