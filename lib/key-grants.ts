import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';

/**
 * The services that use this app's keys on a caller's behalf: the caller never needs the key for itself, only
 * through the service that encrypts or decrypts its data (AWS KMS `kms:ViaService`, docs/deploy.md §4).
 */
export type KeyUsingService = 'dynamodb' | 'firehose' | 'kinesis' | 's3' | 'sns' | 'sqs';

/** The `kms:ViaService` value of a service in the key's region: `kinesis.eu-west-1.amazonaws.com`. */
export function viaService(key: kms.IKey, service: KeyUsingService): string {
  return `${service}.${Stack.of(key).region}.amazonaws.com`;
}

/**
 * Lets a principal use a key only through one service: the explicit actions on the key, conditioned on
 * `kms:ViaService`. A stolen function credential can then not decrypt or generate data keys with KMS directly;
 * only the service that holds the data can, for requests the principal makes to it.
 */
export function allowKeyVia(
  grantee: iam.IGrantable,
  key: kms.IKey,
  actions: string[],
  service: KeyUsingService,
): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions,
    resourceArns: [key.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': viaService(key, service) } },
  });
}
