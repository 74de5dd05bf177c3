// src/client.ts
import createClient from "openapi-fetch";

// src/errors.ts
var PskError = class extends Error {
  name = "PskError";
  code;
  outcome;
  status;
  cloudflareErrors;
  retryAfterSeconds;
  field;
  constructor(message, details) {
    super(message, details.cause === void 0 ? void 0 : { cause: details.cause });
    this.code = details.code;
    this.outcome = details.outcome;
    this.status = details.status;
    this.cloudflareErrors = details.cloudflareErrors ?? [];
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.field = details.field;
  }
  /** True when the key may already have been replaced: never resend blindly, check the tunnel first. */
  get outcomeUnknown() {
    return this.outcome === "unknown";
  }
  toJSON() {
    return {
      name: this.name,
      code: this.code,
      outcome: this.outcome,
      message: this.message,
      status: this.status,
      cloudflareErrors: this.cloudflareErrors,
      retryAfterSeconds: this.retryAfterSeconds,
      field: this.field
    };
  }
};
function isPskError(error) {
  return error instanceof PskError;
}

// src/credentials.ts
var OPTION_NAMES = { apiToken: "apiToken", apiEmail: "apiEmail", apiKey: "apiKey" };
function invalid(field, message) {
  return new PskError(message, { code: "invalid_input", outcome: "not_executed", field });
}
var NOT_A_HEADER_VALUE = /[\u0000-\u001f\u007f]|^\s|\s$/;
function checkValue(field, value) {
  if (value.length === 0) throw invalid(field, `${field} is empty.`);
  if (NOT_A_HEADER_VALUE.test(value)) {
    throw invalid(
      field,
      `${field} has surrounding whitespace or a control character; copy it again without them.`
    );
  }
  return value;
}
function resolveCredentials(input, names = OPTION_NAMES) {
  const hasToken = input.apiToken !== void 0;
  const hasEmail = input.apiEmail !== void 0;
  const hasKey = input.apiKey !== void 0;
  if (hasToken && (hasEmail || hasKey)) {
    const other = hasKey ? names.apiKey : names.apiEmail;
    throw invalid(
      names.apiToken,
      `Give either ${names.apiToken} or ${names.apiEmail} + ${names.apiKey}, not both (${other} is set too).`
    );
  }
  if (hasToken) return { apiToken: checkValue(names.apiToken, input.apiToken) };
  if (hasEmail !== hasKey) {
    const missing = hasEmail ? names.apiKey : names.apiEmail;
    throw invalid(missing, `${missing} is missing: ${names.apiEmail} and ${names.apiKey} go together.`);
  }
  if (hasEmail && hasKey) {
    return {
      apiEmail: checkValue(names.apiEmail, input.apiEmail),
      apiKey: checkValue(names.apiKey, input.apiKey)
    };
  }
  throw invalid(
    names.apiToken,
    `No credentials: set ${names.apiToken}, or ${names.apiEmail} and ${names.apiKey}.`
  );
}
function authHeaders(credentials) {
  if ("apiToken" in credentials) return { Authorization: `Bearer ${credentials.apiToken}` };
  return { "X-Auth-Email": credentials.apiEmail, "X-Auth-Key": credentials.apiKey };
}
function credentialSecrets(credentials) {
  return "apiToken" in credentials ? [credentials.apiToken] : [credentials.apiKey];
}

// src/redact.ts
var MIN_SECRET_LENGTH = 4;
function redactSecrets(text, secrets) {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= MIN_SECRET_LENGTH) result = result.split(secret).join("[redacted]");
  }
  return result;
}
function sanitizeCause(error, secrets, depth = 0) {
  const source = typeof error === "object" && error !== null ? error : { message: String(error) };
  const message = typeof source.message === "string" ? redactSecrets(source.message, secrets) : "unknown error";
  const copy = new Error(message);
  copy.name = typeof source.name === "string" ? source.name : "Error";
  if (typeof source.code === "string" || typeof source.code === "number") {
    copy.code = source.code;
  }
  if (source.cause !== void 0 && depth < 3) copy.cause = sanitizeCause(source.cause, secrets, depth + 1);
  copy.stack = `${copy.name}: ${message}`;
  return copy;
}

// src/envelope.ts
function parseJson(text) {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}
function isRecord(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function readMessages(value, secrets) {
  if (!Array.isArray(value)) return [];
  const messages = [];
  for (const entry of value) {
    if (!isRecord(entry) || typeof entry.code !== "number" || typeof entry.message !== "string") continue;
    const message = { code: entry.code, message: redactSecrets(entry.message, secrets) };
    if (typeof entry.documentation_url === "string") message.documentationUrl = entry.documentation_url;
    if (isRecord(entry.source) && typeof entry.source.pointer === "string")
      message.pointer = entry.source.pointer;
    messages.push(message);
  }
  return messages;
}
function readEnvelope(body, secrets) {
  if (!isRecord(body)) return void 0;
  return {
    success: body.success,
    errors: readMessages(body.errors, secrets),
    messages: readMessages(body.messages, secrets),
    result: isRecord(body.result) ? body.result : void 0
  };
}
function optionalString(record, key) {
  const value = record?.[key];
  return typeof value === "string" ? value : void 0;
}
function optionalRecord(record, key) {
  const value = record?.[key];
  return isRecord(value) ? value : void 0;
}
function errorCodeForStatus(status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 429:
      return "rate_limited";
    default:
      return "api_error";
  }
}
function describeCloudflareErrors(errors) {
  if (errors.length === 0) return "";
  return ` Cloudflare said: ${errors.map((e) => `${e.message} (code ${e.code})`).join("; ")}.`;
}

// src/identifiers.ts
var IDENTIFIER_MAX_LENGTH = 32;
var IDENTIFIER_RULE = `1 to ${IDENTIFIER_MAX_LENGTH} characters, without "/", "\\", "?", "#", "%", "..", whitespace or control characters`;
var URL_CHANGING = /[/\\?#%\s\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]|\.\./;
function assertIdentifier(field, value) {
  const fail = (problem) => {
    throw new PskError(`${field} ${problem}: it must be ${IDENTIFIER_RULE}.`, {
      code: "invalid_input",
      outcome: "not_executed",
      field
    });
  };
  if (typeof value !== "string") return fail(value === void 0 ? "is missing" : "is not a string");
  if (value.length === 0) return fail("is empty");
  if (value.length > IDENTIFIER_MAX_LENGTH) return fail(`is ${value.length} characters long`);
  if (value === "." || URL_CHANGING.test(value))
    return fail("contains a character that would change the URL");
  return value;
}

// src/requests.ts
import { createFinalURL, createQuerySerializer, defaultPathSerializer } from "openapi-fetch";
var PSK_PATH = "/accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}/psk_generate";
var TUNNEL_PATH = "/accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}";
var EMPTY_BODY = JSON.stringify({});
var querySerializer = createQuerySerializer();
function createRequests(baseUrl, fetch, headers) {
  const jsonHeaders = { ...headers, "Content-Type": "application/json" };
  const url = (path, params) => createFinalURL(path, { baseUrl, params, querySerializer, pathSerializer: defaultPathSerializer });
  return {
    pskGenerate(parameters) {
      const target = url(PSK_PATH, parameters);
      return (signal) => fetch(target, { method: "POST", headers: jsonHeaders, body: EMPTY_BODY, signal, redirect: "manual" });
    },
    ipsecTunnel(parameters) {
      const target = url(TUNNEL_PATH, parameters);
      return (signal) => fetch(target, { method: "GET", headers, signal });
    }
  };
}

// src/retry.ts
var defaultSleep = (ms, signal) => new Promise((resolve, reject) => {
  if (signal?.aborted) return reject(signal.reason);
  const timer = setTimeout(() => {
    signal?.removeEventListener("abort", onAbort);
    resolve();
  }, ms);
  const onAbort = () => {
    clearTimeout(timer);
    reject(signal?.reason);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
});
function resolveRetryPolicy(options) {
  return {
    maxAttempts: Math.max(1, Math.floor(options?.maxAttempts ?? 3)),
    baseDelayMs: Math.max(0, options?.baseDelayMs ?? 250),
    maxDelayMs: Math.max(0, options?.maxDelayMs ?? 1e4)
  };
}
function retryDelayMs(policy, attempt, retryAfterSeconds, random = Math.random) {
  if (retryAfterSeconds !== void 0) {
    const requested = retryAfterSeconds * 1e3;
    return requested > policy.maxDelayMs ? void 0 : requested;
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}
function parseRetryAfter(value, now) {
  if (value === null || value.trim() === "") return void 0;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return void 0;
  return Math.max(0, Math.ceil((date - now) / 1e3));
}

// src/secret.ts
var REDACTED = "[redacted]";
var inspectSymbol = /* @__PURE__ */ Symbol.for("nodejs.util.inspect.custom");
var Secret = class {
  #value;
  constructor(value) {
    this.#value = value;
    Object.freeze(this);
  }
  /** The secret itself. Call it only where the value must leave the process (a 0600 file, a device config). */
  reveal() {
    return this.#value;
  }
  /** Its length, which is safe to show and helps check a key was copied whole. */
  get length() {
    return this.#value.length;
  }
  toString() {
    return REDACTED;
  }
  toJSON() {
    return REDACTED;
  }
  [Symbol.toPrimitive]() {
    return REDACTED;
  }
  [inspectSymbol]() {
    return `Secret(${REDACTED})`;
  }
};

// src/transport-errors.ts
var NOT_SENT_CODES = /* @__PURE__ */ new Set([
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_FAIL",
  "EAI_NONAME",
  "ECONNREFUSED",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETDOWN",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER"
]);
function transportErrorCode(error) {
  let current = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const code = current.code;
    if (typeof code === "string") return code;
    current = current.cause;
  }
  return void 0;
}
function failedBeforeSending(error) {
  const code = transportErrorCode(error);
  return code !== void 0 && NOT_SENT_CODES.has(code);
}

// src/transport.ts
var OUTCOME_UNKNOWN_ADVICE = "The request may have reached Cloudflare, so the tunnel's key may already be replaced by one nobody has seen. Do not retry blindly: check the tunnel (getIpsecTunnel, psk_metadata.last_generated_on) first.";
function transportFailure(context, code, what, sent, cause) {
  const outcome = context.persisting && sent ? "unknown" : "not_executed";
  const tail = outcome === "unknown" ? ` Outcome unknown. ${OUTCOME_UNKNOWN_ADVICE}` : " Nothing was changed.";
  return new PskError(`${what}.${tail}`, {
    code,
    outcome,
    cause: cause === void 0 ? void 0 : sanitizeCause(cause, context.secrets)
  });
}
async function performExchange(send, context) {
  if (context.signal?.aborted) {
    throw transportFailure(
      context,
      "aborted",
      "The request was aborted before it was sent",
      false,
      void 0
    );
  }
  const timeoutSignal = AbortSignal.timeout(context.timeoutMs);
  const signal = context.signal ? AbortSignal.any([context.signal, timeoutSignal]) : timeoutSignal;
  try {
    let response;
    try {
      response = await send(signal);
    } catch (failure) {
      if (timeoutSignal.aborted) {
        throw transportFailure(
          context,
          "timeout",
          `No response within ${context.timeoutMs} ms`,
          true,
          failure
        );
      }
      if (context.signal?.aborted) {
        throw transportFailure(context, "aborted", "The request was aborted while in flight", true, failure);
      }
      const sent = !failedBeforeSending(failure);
      const what = sent ? "The connection failed while the request was in flight" : "Could not connect to the API";
      throw transportFailure(context, "network", what, sent, failure);
    }
    try {
      const body = await response.text();
      return { status: response.status, headers: response.headers, body: body === "" ? void 0 : body };
    } catch (failure) {
      return { status: response.status, headers: response.headers, body: void 0, bodyError: failure };
    }
  } finally {
  }
}

// src/urls.ts
var LOOPBACK_HOSTS = /* @__PURE__ */ new Set(["localhost", "127.0.0.1", "[::1]"]);
function validateBaseUrl(value, field) {
  const invalid2 = (rule) => new PskError(`${field} ${rule}.`, { code: "invalid_input", outcome: "not_executed", field });
  let url;
  try {
    url = new URL(value);
  } catch {
    throw invalid2("is not an absolute URL (expected e.g. https://api.cloudflare.com/client/v4)");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw invalid2("must use https");
  if (url.protocol === "http:" && !LOOPBACK_HOSTS.has(url.hostname) && !url.hostname.startsWith("127.")) {
    throw invalid2("must use https (plain http is accepted only for localhost)");
  }
  if (url.username || url.password) throw invalid2("must not contain a user name or password");
  if (url.search || url.hash) throw invalid2("must not contain a query or fragment");
  return url.href.replace(/\/+$/, "");
}

// src/version.ts
var CORE_VERSION = "0.1.0";

// src/client.ts
var DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4";
var DEFAULT_TIMEOUT_MS = 3e4;
var NOT_A_HEADER_VALUE2 = /[\u0000-\u001f\u007f]/;
function checkUserAgent(userAgent) {
  if (userAgent === void 0) return `ipsec-psk-core/${CORE_VERSION}`;
  if (userAgent === "" || NOT_A_HEADER_VALUE2.test(userAgent)) {
    throw new PskError("userAgent must be a non-empty header value without control characters.", {
      code: "invalid_input",
      outcome: "not_executed",
      field: "userAgent"
    });
  }
  return userAgent;
}
function checkTimeout(timeoutMs) {
  if (timeoutMs === void 0) return DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new PskError("timeoutMs must be a positive number of milliseconds.", {
      code: "invalid_input",
      outcome: "not_executed",
      field: "timeoutMs"
    });
  }
  return timeoutMs;
}
function createPskClient(options) {
  const credentials = resolveCredentials(options);
  const secrets = credentialSecrets(credentials);
  const baseUrl = validateBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL, "baseUrl");
  const defaultAccountId = options.accountId === void 0 ? void 0 : assertIdentifier("accountId", options.accountId);
  const timeoutMs = checkTimeout(options.timeoutMs);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const retryPolicy = resolveRetryPolicy(options.retry);
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const headers = { ...authHeaders(credentials), "User-Agent": checkUserAgent(options.userAgent) };
  const api = createClient({ baseUrl, fetch: fetchImpl, headers });
  const requests = createRequests(baseUrl, fetchImpl, headers);
  function accountFor(accountId) {
    if (accountId === void 0 && defaultAccountId !== void 0) return defaultAccountId;
    return assertIdentifier("accountId", accountId);
  }
  function refusal(raw, operation, persisting) {
    const envelope = raw.body === void 0 ? void 0 : readEnvelope(parseJsonBody(raw.body), secrets);
    const cloudflareErrors = envelope?.errors ?? [];
    const serverFailed = raw.status >= 500;
    const outcome = persisting && serverFailed ? "unknown" : "not_executed";
    const retryAfterSeconds = raw.status === 429 ? parseRetryAfter(raw.headers.get("retry-after"), now()) : void 0;
    let message = `${operation} failed: Cloudflare answered HTTP ${raw.status}.${describeCloudflareErrors(cloudflareErrors)}`;
    if (raw.status === 429) {
      message += retryAfterSeconds === void 0 ? " Rate limited; nothing was changed." : ` Rate limited; nothing was changed. Try again in ${retryAfterSeconds} s.`;
    } else if (outcome === "unknown") {
      message += ` Outcome unknown. ${OUTCOME_UNKNOWN_ADVICE}`;
    } else {
      message += " Nothing was changed.";
    }
    return new PskError(message, {
      code: errorCodeForStatus(raw.status),
      outcome,
      status: raw.status,
      cloudflareErrors,
      retryAfterSeconds
    });
  }
  function invalidResponse(raw, operation, persisting, problem) {
    const outcome = persisting ? "unknown" : "not_executed";
    const tail = persisting ? ` Outcome unknown. ${OUTCOME_UNKNOWN_ADVICE}` : "";
    return new PskError(`${operation}: Cloudflare answered HTTP ${raw.status} but ${problem}.${tail}`, {
      code: "invalid_response",
      outcome,
      status: raw.status,
      cause: raw.bodyError === void 0 ? void 0 : sanitizeCause(raw.bodyError, secrets)
    });
  }
  async function withRetries(signal, attempt) {
    for (let attemptNumber = 1; ; attemptNumber++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof PskError) || attemptNumber >= retryPolicy.maxAttempts || !isTransient(error)) {
          throw error;
        }
        const delay = retryDelayMs(retryPolicy, attemptNumber, error.retryAfterSeconds);
        if (delay === void 0) throw error;
        try {
          await sleep(delay, signal);
        } catch {
          throw error;
        }
      }
    }
  }
  async function generateIpsecPsk(input) {
    const accountId = accountFor(input.accountId);
    const ipsecTunnelId = assertIdentifier("ipsecTunnelId", input.ipsecTunnelId);
    const validateOnly = input.validateOnly === true;
    const operation = validateOnly ? "Validating PSK generation" : "PSK generation";
    const send = requests.pskGenerate({
      path: { account_id: accountId, ipsec_tunnel_id: ipsecTunnelId },
      ...validateOnly ? { query: { validate_only: true } } : {}
    });
    const attempt = async () => {
      const raw = await performExchange(send, {
        timeoutMs,
        signal: input.signal,
        persisting: !validateOnly,
        secrets
      });
      if (raw.status < 200 || raw.status >= 300) {
        throw refusal(raw, operation, !validateOnly);
      }
      if (raw.bodyError !== void 0) {
        throw invalidResponse(raw, operation, !validateOnly, "the response body could not be read in full");
      }
      const parsed = raw.body === void 0 ? { ok: false } : parseJson(raw.body);
      const envelope = parsed.ok ? readEnvelope(parsed.value, secrets) : void 0;
      if (!envelope) throw invalidResponse(raw, operation, !validateOnly, "the body is not a JSON object");
      const lastGeneratedOn = optionalString(
        optionalRecord(envelope.result, "psk_metadata"),
        "last_generated_on"
      );
      const tunnelId = optionalString(envelope.result, "ipsec_tunnel_id") ?? ipsecTunnelId;
      if (validateOnly) {
        if (envelope.success !== true) {
          throw invalidResponse(raw, operation, false, "the envelope does not say success");
        }
        return {
          validateOnly: true,
          accountId,
          ipsecTunnelId: tunnelId,
          lastGeneratedOn,
          messages: envelope.messages
        };
      }
      const psk = optionalString(envelope.result, "psk");
      if (psk === void 0 || psk.length === 0) {
        throw invalidResponse(raw, operation, true, "the response carries no PSK");
      }
      return {
        validateOnly: false,
        accountId,
        ipsecTunnelId: tunnelId,
        psk: new Secret(psk),
        lastGeneratedOn,
        messages: envelope.messages
      };
    };
    return validateOnly ? withRetries(input.signal, attempt) : attempt();
  }
  async function getIpsecTunnel(input) {
    const accountId = accountFor(input.accountId);
    const ipsecTunnelId = assertIdentifier("ipsecTunnelId", input.ipsecTunnelId);
    const operation = "Reading the IPsec tunnel";
    const send = requests.ipsecTunnel({ path: { account_id: accountId, ipsec_tunnel_id: ipsecTunnelId } });
    return withRetries(input.signal, async () => {
      const raw = await performExchange(send, {
        timeoutMs,
        signal: input.signal,
        persisting: false,
        secrets
      });
      if (raw.status < 200 || raw.status >= 300) throw refusal(raw, operation, false);
      if (raw.bodyError !== void 0) {
        throw invalidResponse(raw, operation, false, "the response body could not be read in full");
      }
      const envelope = raw.body === void 0 ? void 0 : readEnvelope(parseJsonBody(raw.body), secrets);
      const tunnel = optionalRecord(envelope?.result, "ipsec_tunnel");
      const id = optionalString(tunnel, "id");
      const name = optionalString(tunnel, "name");
      if (envelope?.success !== true || !tunnel || id === void 0 || name === void 0) {
        throw invalidResponse(raw, operation, false, "the body is not a tunnel envelope");
      }
      return {
        id,
        name,
        lastGeneratedOn: optionalString(optionalRecord(tunnel, "psk_metadata"), "last_generated_on"),
        tunnel
      };
    });
  }
  return {
    generateIpsecPsk,
    getIpsecTunnel,
    api,
    baseUrl,
    accountId: defaultAccountId
  };
}
function parseJsonBody(body) {
  const parsed = parseJson(body);
  return parsed.ok ? parsed.value : void 0;
}
function isTransient(error) {
  switch (error.code) {
    case "network":
    case "timeout":
    case "rate_limited":
    case "invalid_response":
      return true;
    case "api_error":
      return error.status !== void 0 && error.status >= 500;
    default:
      return false;
  }
}

// src/env.ts
var ENV = {
  apiToken: "CLOUDFLARE_API_TOKEN",
  apiEmail: "CLOUDFLARE_EMAIL",
  apiKey: "CLOUDFLARE_API_KEY",
  accountId: "CLOUDFLARE_ACCOUNT_ID",
  baseUrl: "CLOUDFLARE_BASE_URL"
};
function read(env, name) {
  const value = env[name];
  return value === void 0 || value === "" ? void 0 : value;
}
function fromEnv(env = process.env) {
  const credentialInput = {
    apiToken: read(env, ENV.apiToken),
    apiEmail: read(env, ENV.apiEmail),
    apiKey: read(env, ENV.apiKey)
  };
  resolveCredentials(credentialInput, ENV);
  const accountId = read(env, ENV.accountId);
  const baseUrl = read(env, ENV.baseUrl);
  return {
    ...credentialInput,
    accountId: accountId === void 0 ? void 0 : assertIdentifier(ENV.accountId, accountId),
    baseUrl: baseUrl === void 0 ? void 0 : validateBaseUrl(baseUrl, ENV.baseUrl)
  };
}
export {
  CORE_VERSION,
  DEFAULT_BASE_URL,
  DEFAULT_TIMEOUT_MS,
  ENV,
  IDENTIFIER_MAX_LENGTH,
  OUTCOME_UNKNOWN_ADVICE,
  PskError,
  Secret,
  assertIdentifier,
  createPskClient,
  fromEnv,
  isPskError
};
//# sourceMappingURL=index.js.map
