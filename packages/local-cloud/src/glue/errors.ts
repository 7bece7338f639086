import { AwsApiError } from '../services/aws-errors.js';

/** Glue's answer for a database or table that is not in the catalog. */
export const notFound = (what: string) => new AwsApiError('EntityNotFoundException', `${what} not found.`);

/** Glue's answer for input it refuses; the message names the bad value. */
export const invalid = (message: string) => new AwsApiError('InvalidInputException', message);

/** s3://bucket/key → { bucket, key }, or an InvalidInputException naming the location. */
export function s3Location(uri: string): { bucket: string; key: string } {
  const match = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw invalid(`Location ${JSON.stringify(uri)} is not an s3:// URI`);
  return { bucket: match[1] as string, key: match[2] as string };
}
