/**
 * A template from a request: its TemplateBody, or the object at its TemplateURL in the local cloud's S3 (the
 * CDK CLI uploads templates over 50 KB to the bootstrap bucket). Every S3 URL form maps to the local S3:
 * `https://s3.<region>.amazonaws.com/<bucket>/<key>`, `https://<bucket>.s3[.<region>].amazonaws.com/<key>`,
 * `s3://<bucket>/<key>` and a path-style URL on any other host (the cloud's own endpoint).
 */

import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Template } from '../deploy/types.js';
import { parseS3Uri, type S3Location } from '../s3/s3-uri.js';
import { CloudFormationError } from './query-protocol.js';
import { parseYamlTemplate } from './yaml-template.js';

/** A TemplateURL's bucket and key: an s3:// URI, or an S3 https URL (virtual-hosted or path style). */
export function s3LocationOf(url: string): S3Location {
  if (/^s3a?:/.test(url)) {
    return parseS3Uri(url, {
      keyRequired: true,
      refuse: (message) => new CloudFormationError(`TemplateURL ${message}`),
    });
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CloudFormationError(`TemplateURL must be a URL (got ${JSON.stringify(url)})`);
  }
  const path = decodeURIComponent(parsed.pathname.replace(/^\/+/, ''));
  const virtualHost =
    /^(.+)\.s3[.-](?:[a-z0-9-]+\.)?amazonaws\.com$/.exec(parsed.hostname) ??
    /^(.+)\.s3\.amazonaws\.com$/.exec(parsed.hostname);
  if (virtualHost) return { bucket: virtualHost[1] as string, key: path };
  const slash = path.indexOf('/');
  if (slash <= 0) throw new CloudFormationError(`TemplateURL ${url} names no bucket and key`);
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
}

export async function loadTemplate(
  input: { TemplateBody?: unknown; TemplateURL?: unknown },
  s3: S3Client,
): Promise<{ body: string; template: Template }> {
  let body: string;
  if (typeof input.TemplateBody === 'string') body = input.TemplateBody;
  else if (typeof input.TemplateURL === 'string') {
    const { bucket, key } = s3LocationOf(input.TemplateURL);
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      body = (await object.Body?.transformToString()) ?? '';
    } catch (error) {
      throw new CloudFormationError(
        `TemplateURL ${input.TemplateURL}: s3://${bucket}/${key} could not be read from the local S3 (${(error as Error).name}: ${(error as Error).message})`,
      );
    }
  } else throw new CloudFormationError('Either TemplateBody or TemplateURL must be specified.');
  return { body, template: parseTemplate(body) };
}

export function parseTemplate(body: string): Template {
  let template: unknown;
  const json = body.trimStart().startsWith('{');
  try {
    template = json ? JSON.parse(body) : parseYamlTemplate(body);
  } catch (error) {
    throw new CloudFormationError(
      `Template format error: ${json ? 'JSON' : 'YAML'} not well-formed (${(error as Error).message})`,
    );
  }
  if (template === null || typeof template !== 'object' || Array.isArray(template)) {
    throw new CloudFormationError('Template format error: a template is a JSON object');
  }
  const resources = (template as Template).Resources;
  if (resources === undefined || typeof resources !== 'object' || Object.keys(resources).length === 0) {
    throw new CloudFormationError('Template format error: At least one Resources member must be defined.');
  }
  for (const [id, resource] of Object.entries(resources)) {
    if (typeof resource?.Type !== 'string') {
      throw new CloudFormationError(`Template format error: resource ${id} has no Type`);
    }
  }
  return template as Template;
}
