import { describe, expect, it } from 'vitest';
import { executeApiTarget, executeApiUrl } from '../../src/gateway.js';

describe('execute-api routing on the local cloud endpoint', () => {
  it('finds the API of a LocalStack execute-api host name, keeping the path as it is', () => {
    for (const host of [
      'abc123.execute-api.localhost:4566',
      'abc123.execute-api.localhost.localstack.cloud:4566',
      'abc123.execute-api.us-east-1.localhost.localstack.cloud',
      'ABC123.execute-api.localhost',
      'abc123.execute-api.eu-west-1.amazonaws.com',
    ]) {
      expect(executeApiTarget('/score?x=1', host)).toEqual({
        apiId: 'abc123',
        path: '/score?x=1',
        prefix: '',
      });
    }
  });

  it('finds the API of the /_aws/execute-api path form and strips the prefix the client signed', () => {
    expect(executeApiTarget('/_aws/execute-api/abc123/score?x=1', '127.0.0.1:4566')).toEqual({
      apiId: 'abc123',
      path: '/score?x=1',
      prefix: '/_aws/execute-api/abc123',
    });
    expect(executeApiTarget('/_aws/execute-api/abc123', '127.0.0.1:4566')?.path).toBe('/');
    expect(executeApiTarget('/_aws/execute-api/abc123?q', '127.0.0.1:4566')?.path).toBe('/?q');
    expect(executeApiTarget('/_aws/execute-api/abc123/a/b/', undefined)?.path).toBe('/a/b/');
  });

  it('leaves every other request to the AWS services', () => {
    expect(executeApiTarget('/', '127.0.0.1:4566')).toBeUndefined();
    expect(executeApiTarget('/bucket/key', 'bucket.s3.localhost.localstack.cloud:4566')).toBeUndefined();
    expect(executeApiTarget('/_aws/execute-api', '127.0.0.1:4566')).toBeUndefined();
    expect(executeApiTarget('/x/_aws/execute-api/abc/score', 'localhost:4566')).toBeUndefined();
    expect(executeApiTarget('/', 'execute-api.localhost:4566')).toBeUndefined();
  });

  it('builds the path-form URL an API answers at', () => {
    expect(executeApiUrl('http://127.0.0.1:4566', 'abc123')).toBe(
      'http://127.0.0.1:4566/_aws/execute-api/abc123',
    );
    expect(executeApiUrl('http://127.0.0.1:4566/', 'abc123')).toBe(
      'http://127.0.0.1:4566/_aws/execute-api/abc123',
    );
  });
});
