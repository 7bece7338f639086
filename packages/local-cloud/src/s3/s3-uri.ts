/**
 * The one reading of an `s3://bucket/key` URI in the local cloud (`s3a://`, Hadoop's spelling, too). The key is
 * taken as written, not percent-decoded, as the AWS CLI takes it. Each caller answers a bad URI with the error its
 * API promises, through `refuse`; the message names the URI.
 */

/** A bucket and a key in it; the key is empty for the bucket itself. */
export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

export interface S3UriRules {
  /** Whether the URI must name an object (`s3://bucket` and `s3://bucket/` are refused). Default: false. */
  readonly keyRequired?: boolean;
  /** Makes the error thrown for a bad URI from a message naming it. Default: a plain Error. */
  readonly refuse?: (message: string) => Error;
}

const S3_URI = /^s3a?:\/\/([^/]+)\/?(.*)$/;

/** `s3://bucket/key` → { bucket, key }; anything else is refused with a message naming it. */
export function parseS3Uri(uri: string, rules: S3UriRules = {}): S3Location {
  const refuse = rules.refuse ?? ((message: string) => new Error(message));
  const match = S3_URI.exec(uri);
  if (!match) throw refuse(`${JSON.stringify(uri)} is not an s3:// URI`);
  const location = { bucket: match[1] as string, key: match[2] as string };
  if (rules.keyRequired === true && location.key === '')
    throw refuse(`${JSON.stringify(uri)} names no object key`);
  return location;
}
