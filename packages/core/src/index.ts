export {
  createPskClient,
  DEFAULT_BASE_URL,
  DEFAULT_TIMEOUT_MS,
  type GenerateIpsecPskInput,
  type GetIpsecTunnelInput,
  type IpsecTunnel,
  type IpsecTunnelDetails,
  type PskClient,
  type PskClientOptions,
  type PskGenerated,
  type PskValidated,
} from './client.js';
export type { CredentialInput, Credentials } from './credentials.js';
export { ENV, fromEnv } from './env.js';
export {
  type CloudflareMessage,
  isPskError,
  PskError,
  type PskErrorCode,
  type PskErrorDetails,
  type PskOutcome,
} from './errors.js';
export type { components, operations, paths } from './generated/openapi.js';
export { assertIdentifier, IDENTIFIER_MAX_LENGTH, IDENTIFIER_RULE, isIdentifier } from './identifiers.js';
export type { RetryOptions, Sleep } from './retry.js';
export { Secret } from './secret.js';
export { OUTCOME_UNKNOWN_ADVICE } from './transport.js';
export { neutralizeText, quoteText, UNTRUSTED_TEXT_MAX_LENGTH } from './untrusted.js';
export { isLoopbackHostname } from './urls.js';
export { CORE_VERSION } from './version.js';
