import { PskError } from './errors.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

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
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname) && !url.hostname.startsWith('127.')) {
    throw invalid('must use https (plain http is accepted only for localhost)');
  }
  if (url.username || url.password) throw invalid('must not contain a user name or password');
  if (url.search || url.hash) throw invalid('must not contain a query or fragment');
  return url.href.replace(/\/+$/, '');
}
