/**
 * A POST signed with SigV4 as the SDKs sign it, for tests that call the local cloud's endpoint or an HTTP API by
 * hand (raw query-protocol form posts, execute-api requests with odd credentials, regions or signing dates): the
 * CLI's own signer, so tests and the demo sign alike.
 */
export {
  type SigningCredentials,
  type SigningOptions,
  signedPostHeaders,
} from '../../cli/signed-post.js';
