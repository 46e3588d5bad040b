/**
 * HTTP plumbing shared by the S3 and Azure Blob stores: a bounded, counted retry loop, error
 * classification, and scrubbing of anything credential-like out of error text.
 */
import type { DeleteReport, StoreErrorReason, StoreResult } from "./evidence-store.ts";
import { xmlFirst } from "./xml.ts";

/** Retries after the first attempt, for 5xx, 429 and requests that got no answer. */
export const STORE_MAX_RETRIES = 2;
/** First backoff; doubled per retry, full jitter. */
export const STORE_RETRY_BASE_MS = 100;
/** An attempt that has no response headers after this long is abandoned (and may be retried). */
export const STORE_HEADERS_TIMEOUT_MS = 30_000;
/** Error bodies are read up to this many bytes (they are small XML documents). */
const ERROR_BODY_MAX_BYTES = 16 * 1024;

/**
 * Every attempt is a subrequest (Workers bill and cap them per invocation), so both are counted.
 * `requests` includes retries.
 */
export interface RequestStats {
  requests: number;
  retries: number;
}

export interface HttpOptions {
  fetch: typeof fetch;
  maxRetries: number;
  stats: RequestStats;
}

/**
 * Run `attempt` (which builds and signs a fresh request: signatures carry a timestamp) until it
 * answers below 500 and not 429, at most 1 + maxRetries times. The last answer is returned
 * whatever its status; if the last attempt threw, that error is thrown.
 */
export async function sendWithRetry(http: HttpOptions, attempt: () => Promise<Request>): Promise<Response> {
  for (let i = 0; ; i++) {
    const last = i >= http.maxRetries;
    if (i > 0) {
      http.stats.retries++;
      await new Promise((r) => setTimeout(r, Math.random() * STORE_RETRY_BASE_MS * 2 ** (i - 1)));
    }
    http.stats.requests++;
    let res: Response;
    try {
      res = await fetchWithHeadersTimeout(http.fetch, await attempt());
    } catch (e) {
      if (last) throw e;
      continue;
    }
    if (last || (res.status < 500 && res.status !== 429)) return res;
    await res.body?.cancel().catch(() => undefined);
  }
}

async function fetchWithHeadersTimeout(doFetch: typeof fetch, req: Request): Promise<Response> {
  // Only the wait for headers is bounded: a large GET body may legitimately stream for longer.
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new Error(`no answer within ${STORE_HEADERS_TIMEOUT_MS} ms`)), STORE_HEADERS_TIMEOUT_MS);
  try {
    return await doFetch(req, { signal: ctl.signal });
  } finally {
    clearTimeout(timer);
  }
}

/** Read at most ERROR_BODY_MAX_BYTES of a response as text (error documents), then drop the rest. */
export async function readSmallText(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < ERROR_BODY_MAX_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  const all = new Uint8Array(Math.min(size, ERROR_BODY_MAX_BYTES));
  let at = 0;
  for (const c of chunks) {
    const take = c.subarray(0, all.byteLength - at);
    all.set(take, at);
    at += take.byteLength;
  }
  return new TextDecoder().decode(all);
}

/** Drop a response body we have no use for (workerd holds the connection until it is read). */
export async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}

const AUTH_CODES = new Set([
  // S3
  "SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", "ExpiredToken", "InvalidToken", "TokenRefreshRequired",
  "AuthorizationHeaderMalformed", "RequestTimeTooSkewed", "InvalidSecurity", "AllAccessDisabled",
  // Azure
  "AuthenticationFailed", "AuthorizationFailure", "AuthorizationPermissionMismatch", "AuthorizationResourceTypeMismatch",
  "AuthorizationProtocolMismatch", "AuthorizationSourceIPMismatch", "InvalidAuthenticationInfo", "NoAuthenticationInformation",
  "InsufficientAccountPermissions",
]);
const BUCKET_CODES = new Set(["NoSuchBucket", "ContainerNotFound", "ContainerBeingDeleted", "ContainerDisabled", "AccountIsDisabled"]);
const LOCK_CODES = new Set(["ObjectLocked", "BlobImmutableDueToPolicy", "BlobImmutableDueToLegalHold", "InvalidRetentionPeriod"]);

/** Classify a failed answer by the store's error code, then by status. */
export function classify(status: number, code: string | undefined, message = ""): StoreErrorReason {
  if (code && LOCK_CODES.has(code)) return "locked";
  // S3 refuses a delete or overwrite of a retained object with a plain AccessDenied.
  if (code === "AccessDenied" && /object lock|retention|legal hold/i.test(message)) return "locked";
  if (code && AUTH_CODES.has(code)) return "auth";
  if (code && BUCKET_CODES.has(code)) return "bucket_missing";
  if (status === 401 || status === 403) return "auth";
  if (status >= 500 || status === 429) return "unavailable";
  return "other";
}

/** Remove query strings from URLs and anything shaped like a signature or SAS from free text. */
export function scrub(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>]*)[?#][^\s"'<>]*/gi, "$1")
    .replace(/\b(sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|se|sv|sp|skoid|sktid)=[^&\s"'<>]+/gi, "$1=[redacted]")
    .replace(/AWS4-HMAC-SHA256\s+[^"'<>\n]*/g, "AWS4-HMAC-SHA256 [redacted]");
}

/** A failed answer, read and classified; the detail names the operation and the store's code only. */
export async function answerFailure(res: Response, what: string): Promise<{ reason: StoreErrorReason; detail: string; code?: string }> {
  const body = res.status === 304 ? "" : await readSmallText(res);
  const code = xmlFirst(body, "Code") ?? res.headers.get("x-ms-error-code") ?? undefined;
  const message = xmlFirst(body, "Message") ?? "";
  const reason = classify(res.status, code, message);
  // The store's message helps (e.g. which permission is missing); it never holds our secret, but
  // is scrubbed anyway and cut short. SignatureDoesNotMatch documents also echo the canonical
  // request: only <Message> is used, never the rest.
  const said = message ? `: ${scrub(message.split("\n")[0]!).slice(0, 200)}` : "";
  return { reason, detail: `${what}: ${res.status}${code ? ` ${code}` : ""}${said}`, ...(code ? { code } : {}) };
}

/** A request that got no answer at all. */
export function networkFailure(e: unknown, what: string): { reason: StoreErrorReason; detail: string } {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return { reason: "network", detail: scrub(`${what}: ${String(err.message ?? e)}${cause ? ` (${cause})` : ""}`).slice(0, 300) };
}

export function failed<T>(f: { reason: StoreErrorReason; detail: string }): StoreResult<T> {
  return { ok: false, error: { code: "store_error", detail: f.detail, reason: f.reason } };
}

export function allFailed(keys: string[], f: { reason: StoreErrorReason; detail: string }): DeleteReport {
  return { deleted: 0, failed: keys.map((key) => ({ key, reason: f.reason, detail: f.detail })) };
}

/** Encode an object key for a URL path: each segment percent-encoded (RFC 3986), slashes kept. */
export function encodeKey(key: string): string {
  return key.split("/").map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join("/");
}

/**
 * Keys the URL parser would rewrite ("." and ".." segments, which WHATWG URLs resolve even
 * percent-encoded) or that no store accepts. Returns the problem, or null.
 */
export function badKey(key: string): string | null {
  if (!key || new TextEncoder().encode(key).byteLength > 1024) return "an object key must be 1 to 1024 bytes";
  if (key.split("/").some((s) => s === "." || s === "..")) return 'an object key may not contain "." or ".." segments';
  return null;
}
