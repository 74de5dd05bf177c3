/** One entry of a Cloudflare envelope's `errors` or `messages`. */
export interface CloudflareMessage {
  /** Cloudflare error code (>= 1000). */
  code: number;
  /** Human-readable text; never contains a credential or a PSK. */
  message: string;
  /** Where in the request body the problem is. */
  source?: { pointer: string };
}

/** A Cloudflare v4 error envelope as the spec's `magic_api-response-common-failure` describes it. */
export interface ErrorEnvelope {
  /** Always false. */
  success: false;
  /** At least one error. */
  errors: CloudflareMessage[];
  /** Always empty here. */
  messages: CloudflareMessage[];
  /** Always null. */
  result: null;
}

/** The error codes the simulator answers with; Cloudflare's where known, otherwise in the same ranges. */
export const ErrorCode = {
  badRequest: 1002,
  tunnelNotFound: 1001,
  payloadTooLarge: 1003,
  unsupportedMediaType: 1004,
  // Cloudflare's API v4 is reported to answer 971 here, below the documented `code >= 1000` that our spec keeps;
  // 1015 is Cloudflare's own rate-limit error number, so the simulator stays inside the spec.
  rateLimited: 1015,
  noRoute: 7000,
  methodNotAllowed: 7001,
  invalidIdentifier: 7003,
  invalidHeaders: 6003,
  missingCredentials: 9106,
  authentication: 10000,
  internal: 10001,
} as const;

export function errorEnvelope(errors: CloudflareMessage[]): ErrorEnvelope {
  return { success: false, errors, messages: [], result: null };
}

export function successEnvelope<T>(result: T): { success: true; errors: []; messages: []; result: T } {
  return { success: true, errors: [], messages: [], result };
}

/** The error an injected status fault answers with. */
export function errorForStatus(status: number): CloudflareMessage {
  if (status === 429)
    return { code: ErrorCode.rateLimited, message: 'Please wait and consider throttling your request speed' };
  if (status === 401 || status === 403)
    return { code: ErrorCode.authentication, message: 'Authentication error' };
  if (status === 404) return { code: ErrorCode.noRoute, message: 'No route for that URI' };
  if (status >= 500) return { code: ErrorCode.internal, message: 'Internal server error' };
  return { code: ErrorCode.badRequest, message: 'Bad request' };
}
