import { PskError } from './errors.js';

// The WHATWG URL parser writes every IPv4 literal out as four decimal numbers (`127.1` and `0x7f.1` become
// `127.0.0.1`), so a pattern on the parsed hostname sees addresses, never names that merely start like one.
const IPV4_LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Whether a parsed URL hostname is this machine: `localhost`, an address in 127.0.0.0/8, or `[::1]`. */
export function isLoopbackHostname(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || IPV4_LOOPBACK.test(hostname);
}

/**
 * Checks an API base URL. Credentials travel in headers, so plain http is allowed only to this machine (a local
 * simulator or proxy); userinfo, query and fragment are refused because they would silently change requests.
 */
export function validateBaseUrl(value: string, field: string): string {
  const invalid = (rule: string) =>
    new PskError(`${field} ${rule}.`, { code: 'invalid_input', outcome: 'not_executed', field });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('is not an absolute URL (expected e.g. https://api.cloudflare.com/client/v4)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('must use https');
  if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname)) {
    throw invalid('must use https (plain http is accepted only for loopback: localhost, 127.x.x.x or [::1])');
  }
  if (url.username || url.password) throw invalid('must not contain a user name or password');
  if (url.search || url.hash) throw invalid('must not contain a query or fragment');
  return url.href.replace(/\/+$/, '');
}
