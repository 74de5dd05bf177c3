// Our own probes beside the suite: what the server declares, and the 401 a request without a token gets.
const REQUEST_TIMEOUT_MS = 10_000;

function initializeBody(name, specVersion) {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: specVersion, capabilities: {}, clientInfo: { name, version: '0' } },
  });
}

const POST_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** The capabilities the server declares (an initialize, then DELETE of that session). */
export async function declaredCapabilities(url, specVersion) {
  const response = await fetch(url, {
    method: 'POST',
    headers: POST_HEADERS,
    body: initializeBody('conformance-script-probe', specVersion),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`initialize got HTTP ${response.status}`);
  const messages = (response.headers.get('content-type') ?? '').includes('text/event-stream')
    ? text
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
        .filter(Boolean)
    : [text];
  const result = messages.map((m) => JSON.parse(m)).find((m) => m.id === 1)?.result;
  if (!result?.capabilities) throw new Error('initialize returned no capabilities');
  const session = response.headers.get('mcp-session-id');
  if (session) {
    await fetch(url, {
      method: 'DELETE',
      headers: { 'mcp-session-id': session, 'mcp-protocol-version': result.protocolVersion },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    })
      .then((deleted) => deleted.body?.cancel())
      .catch(() => {});
  }
  return result.capabilities;
}

/** With authentication on, a request straight to the server without a token must get 401 and WWW-Authenticate. */
export async function refusesWithoutToken(url, specVersion) {
  const response = await fetch(url, {
    method: 'POST',
    headers: POST_HEADERS,
    body: initializeBody('conformance-script-no-token', specVersion),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  await response.body?.cancel();
  const challenge = response.headers.get('www-authenticate') ?? '';
  if (response.status === 401 && /^Bearer\b/i.test(challenge)) return { result: 'pass' };
  return {
    result: 'FAIL',
    detail: [
      `expected 401 with "WWW-Authenticate: Bearer …", got ${response.status}${challenge ? ` (${challenge})` : ' without WWW-Authenticate'}`,
    ],
  };
}
