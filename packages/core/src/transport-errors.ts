// Failures that happen before an HTTP request can have left this machine: name resolution, a refused or
// unreachable connection, a TLS handshake that failed. Anything else may have reached the server.
const NOT_SENT_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'ECONNREFUSED',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** The first errno-style `code` found along an error's `cause` chain. */
export function transportErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when the failure certainly happened before the request could reach the server. */
export function failedBeforeSending(error: unknown): boolean {
  const code = transportErrorCode(error);
  return code !== undefined && NOT_SENT_CODES.has(code);
}

/** Why a connection could not be made, in plain words, with the code for searching. */
export function connectFailure(code: string | undefined): string {
  if (code === 'ECONNREFUSED')
    return 'the connection was refused (ECONNREFUSED): nothing listens there; check the URL';
  if (code === 'ENOTFOUND' || code === 'EAI_NONAME' || code === 'EAI_FAIL') {
    return `the name does not resolve (${code}): check the URL and DNS`;
  }
  if (code === 'EAI_AGAIN') return 'name resolution failed for now (EAI_AGAIN): check DNS, then try again';
  if (code === 'UND_ERR_CONNECT_TIMEOUT')
    return 'connecting timed out: check the network and any proxy or firewall';
  if (
    code?.startsWith('CERT_') ||
    code?.includes('CERT') ||
    code?.startsWith('ERR_TLS') ||
    code?.startsWith('ERR_SSL')
  ) {
    return `its TLS certificate was not accepted (${code})`;
  }
  return code ? `the network refused (${code})` : 'the network failed';
}
