import { parseS3Uri, type S3Location } from '../s3/s3-uri.js';
import { AwsApiError } from '../services/aws-errors.js';

/** Glue's answer for a database or table that is not in the catalog. */
export const notFound = (what: string) => new AwsApiError('EntityNotFoundException', `${what} not found.`);

/** Glue's answer for input it refuses; the message names the bad value. */
export const invalid = (message: string) => new AwsApiError('InvalidInputException', message);

/** Glue's answer for a location that is not an s3:// URI; `message` names it. */
export const invalidLocation = (message: string) => invalid(`Location ${message}`);

/** s3://bucket/key (or s3://bucket) → { bucket, key }, or an InvalidInputException naming the location. */
export function s3Location(uri: string): S3Location {
  return parseS3Uri(uri, { refuse: invalidLocation });
}
