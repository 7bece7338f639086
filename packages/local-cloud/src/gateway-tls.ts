/**
 * The certificates the local cloud's endpoint serves TLS with, made fresh at each start (npm `selfsigned`):
 * a local certificate authority, and a server certificate it signs for localhost, 127.0.0.1, ::1 and the
 * execute-api host names LocalStack uses. Trust the authority (`curl --cacert`, NODE_EXTRA_CA_CERTS) or skip
 * verification (`curl --insecure`, `aws --no-verify-ssl`).
 */

import { generate } from 'selfsigned';

export interface EndpointCertificates {
  /** The authority's certificate (PEM): what a client trusts. */
  readonly caCertificate: string;
  /** The server's certificate (PEM), then the authority's: the chain the endpoint presents. */
  readonly certificateChain: string;
  /** The server certificate's private key (PEM). */
  readonly privateKey: string;
}

/** The names the server certificate covers. */
export const CERTIFICATE_HOST_NAMES = [
  'localhost',
  '*.localhost',
  '*.execute-api.localhost',
  'localhost.localstack.cloud',
  '*.localhost.localstack.cloud',
  '*.execute-api.localhost.localstack.cloud',
] as const;

/** A day's grace before now: clients whose clock runs a little behind still accept them. */
const VALID_FROM_MS = -24 * 3600 * 1000;
const VALID_DAYS = 825;

export async function makeEndpointCertificates(now: number = Date.now()): Promise<EndpointCertificates> {
  const notBeforeDate = new Date(now + VALID_FROM_MS);
  const notAfterDate = new Date(now + VALID_DAYS * 24 * 3600 * 1000);
  // Elliptic-curve keys: generated in milliseconds, where RSA takes a noticeable part of a second.
  const ca = await generate([{ name: 'commonName', value: 'streamfeatures local cloud CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...CERTIFICATE_HOST_NAMES.map((value) => ({ type: 2 as const, value })),
          { type: 7 as const, ip: '127.0.0.1' },
          { type: 7 as const, ip: '::1' },
        ],
      },
    ],
  });
  return {
    caCertificate: ca.cert,
    certificateChain: `${server.cert.trim()}\n${ca.cert.trim()}\n`,
    privateKey: server.private,
  };
}
