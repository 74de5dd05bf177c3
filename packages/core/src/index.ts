export {
  createPskClient,
  DEFAULT_BASE_URL,
  DEFAULT_TIMEOUT_MS,
  type PskClient,
  type PskClientOptions,
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
export {
  type ClassifyHealthOptions,
  classifyHealth,
  DEFAULT_MIN_COLOS,
  type HealthVerdict,
} from './health.js';
export { assertIdentifier, IDENTIFIER_MAX_LENGTH, IDENTIFIER_RULE, isIdentifier } from './identifiers.js';
export type { GenerateIpsecPskInput, PskGenerated, PskValidated } from './ops/generate-psk.js';
export { ANALYTICS_PERMISSION_ADVICE } from './ops/graphql-errors.js';
export {
  type PskApplied,
  type PsksSet,
  type PskToSet,
  type PskUnapplied,
  SET_PSKS_UNKNOWN_ADVICE,
  type SetIpsecPsksInput,
} from './ops/set-psks.js';
export type { BgpState, TunnelFacts } from './ops/tunnel-facts.js';
export {
  type GetTunnelHealthInput,
  TUNNEL_HEALTH_MAX_NAMES,
  type TunnelHealth,
  type TunnelHealthEntry,
  type TunnelHealthSample,
} from './ops/tunnel-health.js';
export type {
  GetIpsecTunnelInput,
  IpsecTunnel,
  IpsecTunnelDetails,
  ListIpsecTunnelsInput,
} from './ops/tunnels.js';
export { generatePsk } from './psk.js';
export { parseRateLimit, type RateLimitState } from './rate-limit-header.js';
export type { RetryOptions, Sleep } from './retry.js';
export { Secret } from './secret.js';
export { OUTCOME_UNKNOWN_ADVICE } from './transport.js';
export { neutralizeText, quoteText, UNTRUSTED_TEXT_MAX_LENGTH } from './untrusted.js';
export { isLoopbackHostname } from './urls.js';
export { CORE_VERSION } from './version.js';
