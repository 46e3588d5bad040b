/**
 * Idempotency-Key on ingest routes (docs/ingest.md): the first final answer to a key (scoped to
 * the sending credential) is recorded in the tenant's object for 24 h; a retry with the same
 * content gets that answer again with `Idempotent-Replay: true`; the same key with other content
 * is 422. Answers a retry could change (207, 429, 5xx) are not recorded. Each asset's object still
 * drops redelivered batches on its own, which covers retries racing the first request.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { TelemetryEvent } from "../shared/events.ts";
import { sha256Hex } from "../shared/hex.ts";
import { IDEMPOTENCY_MAX_BODY_BYTES } from "../shared/limits.ts";
import { utf8Length } from "../shared/utf8.ts";
import type { IdempotencyRecord } from "../durable-objects/tenant/tenant.ts";
import { tenantObjectName } from "../durable-objects/env.ts";
import { ApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";

const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,200}$/;

/** Thrown by `checkReplay` to answer with a recorded response; app.onError turns it into one. */
export class Replay extends Error {
  readonly record: IdempotencyRecord;
  constructor(record: IdempotencyRecord) {
    super("idempotent replay");
    this.record = record;
  }

  response(requestId: string): Response {
    return new Response(this.record.body, {
      status: this.record.status,
      headers: { "Content-Type": this.record.content_type, "Idempotent-Replay": "true", "X-Request-ID": requestId },
    });
  }
}

/** The request's Idempotency-Key, validated; undefined when it has none. */
export function idempotencyKey(c: Context<AppEnv>): string | undefined {
  const key = c.req.header("idempotency-key");
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY_RE.test(key)) {
    throw new ApiError("invalid_parameter", "Idempotency-Key must be 1-200 visible ASCII characters.", { errors: [{ pointer: "/headers/idempotency-key", detail: "invalid" }] });
  }
  return key;
}

/**
 * Before storing a keyed request: replay the recorded answer (throws Replay), refuse a reused key
 * with other content (422), or note the key so the answer is recorded once it is ready. Returns
 * the content's fingerprint.
 */
export async function checkReplay(c: Context<AppEnv>, key: string, events: readonly TelemetryEvent[]): Promise<string> {
  const { tenant, keyId } = c.get("principal");
  const scope = `${keyId}:${key}`;
  // The decoded content, not the bytes: the same events sent again (re-gzipped, say) are the same
  // request. Not `ts`: without a time in the record it is the receive time, new on every retry.
  const fingerprint = await sha256Hex(JSON.stringify(events.map((e) => [e.asset, e.source, e.id ?? null, e.record])));
  const found = await c.env.TENANT.getByName(tenantObjectName(tenant)).idempotencyGet(scope, Date.now());
  if (found) {
    if (found.fingerprint !== fingerprint) {
      throw new ApiError("unprocessable", "This Idempotency-Key was used within 24 h for a request with other content; use a new key for new content.", {
        errors: [{ pointer: "/headers/idempotency-key", detail: "reused with a different body" }],
      });
    }
    throw new Replay(found);
  }
  c.set("idempotency", { scope, fingerprint });
  return fingerprint;
}

/** Records the final answer of a request that `checkReplay` noted (ingest routes only). */
export const recordIdempotentAnswer: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const noted = c.get("idempotency");
  const status = c.res.status;
  // 207 too: it asks for a retry of the assets that failed, which a replay would never store.
  if (!noted || c.res.headers.get("idempotent-replay") || status === 207 || status === 429 || status >= 500) return;
  const body = await c.res.clone().text();
  if (utf8Length(body) > IDEMPOTENCY_MAX_BODY_BYTES) return;
  const record: IdempotencyRecord = { fingerprint: noted.fingerprint, status, content_type: c.res.headers.get("content-type") ?? "application/json", body };
  // Awaited: a retry right after this answer must find it.
  await c.env.TENANT.getByName(tenantObjectName(c.get("principal").tenant)).idempotencyPut(noted.scope, record, Date.now());
};
