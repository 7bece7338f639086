import { describe, expect, it } from 'vitest';
import { s3LocationOf } from '../../src/cloudformation/template-source.js';
import { s3Location } from '../../src/glue/errors.js';
import { readMetadataFile } from '../../src/iceberg/metadata-file.js';
import { parseS3Uri } from '../../src/s3/s3-uri.js';
import { AwsApiError } from '../../src/services/aws-errors.js';

describe('an s3:// URI', () => {
  it('reads the bucket and the key as written, s3a:// too, the key empty for a bucket alone', () => {
    expect(parseS3Uri('s3://b/k/a%20b.json')).toEqual({ bucket: 'b', key: 'k/a%20b.json' });
    expect(parseS3Uri('s3a://b/k')).toEqual({ bucket: 'b', key: 'k' });
    expect(parseS3Uri('s3://b')).toEqual({ bucket: 'b', key: '' });
    expect(parseS3Uri('s3://b/')).toEqual({ bucket: 'b', key: '' });
  });

  it('refuses what is not one, naming it', () => {
    for (const uri of ['https://b/k', 's3://', 's3:///k', 'b/k', '']) {
      expect(() => parseS3Uri(uri), uri).toThrow(`${JSON.stringify(uri)} is not an s3:// URI`);
    }
  });

  it('refuses a bucket alone when an object is wanted, naming the URI', () => {
    for (const uri of ['s3://b', 's3://b/']) {
      expect(() => parseS3Uri(uri, { keyRequired: true }), uri).toThrow(
        `${JSON.stringify(uri)} names no object key`,
      );
    }
  });

  it("throws the caller's error", () => {
    class Refusal extends Error {}
    expect(() => parseS3Uri('x', { refuse: (message) => new Refusal(message) })).toThrow(Refusal);
  });
});

describe('the callers keep the errors their APIs promise', () => {
  it('Glue: an InvalidInputException naming the location; a bucket alone is a location', () => {
    expect(s3Location('s3://lake')).toEqual({ bucket: 'lake', key: '' });
    const refusal = (() => {
      try {
        s3Location('/tmp/lake');
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(AwsApiError);
    expect(refusal).toMatchObject({
      code: 'InvalidInputException',
      message: 'Location "/tmp/lake" is not an s3:// URI',
    });
  });

  it('CloudFormation: a ValidationError naming the TemplateURL; https URLs as before', () => {
    expect(() => s3LocationOf('s3://templates')).toThrow('TemplateURL "s3://templates" names no object key');
    expect(s3LocationOf('https://b.s3.eu-west-1.amazonaws.com/k/a%20b.json')).toEqual({
      bucket: 'b',
      key: 'k/a b.json',
    });
  });
});

describe('an Iceberg metadata file', () => {
  const files = new Map([
    ['lake/t/metadata/00000.metadata.json', '{"format-version": 2}'],
    ['lake/t/metadata/broken.metadata.json', '{"format-version"'],
  ]);
  const get = async (bucket: string, key: string) => Buffer.from(files.get(`${bucket}/${key}`) ?? '');

  it('is read from the object its location names', async () => {
    expect(await readMetadataFile(get, 's3://lake/t/metadata/00000.metadata.json')).toEqual({
      'format-version': 2,
    });
  });

  it('that is not JSON fails naming the file', async () => {
    await expect(readMetadataFile(get, 's3://lake/t/metadata/broken.metadata.json')).rejects.toThrow(
      /Iceberg metadata file s3:\/\/lake\/t\/metadata\/broken\.metadata\.json is not JSON/,
    );
  });

  it("at a location that names no object is refused with the caller's error", async () => {
    await expect(
      readMetadataFile(get, 's3://lake', {
        refuse: (message) => new AwsApiError('InvalidInputException', message),
      }),
    ).rejects.toMatchObject({ code: 'InvalidInputException', message: '"s3://lake" names no object key' });
  });
});
