/** Ingest routes: FixOps ops-telemetry (`/v1/telemetry`, `/telemetry`) and generic logs (`/v1/logs`). */
import { Hono, type Context } from "hono";
import { effectiveQuotas, effectiveRing } from "../../shared/config.ts";
import type { TelemetryEvent } from "../../shared/events.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { requireScope } from "../auth/require.ts";
import { readBodyText } from "../body.ts";
import { decodeFixopsTelemetry, type DecodeContext } from "../connectors/fixops-telemetry.ts";
import { decodeHttpLogs } from "../connectors/http-logs.ts";
import type { Decoded } from "../connectors/json-text.ts";
import { fanOut, type AssetOutcome } from "../fanout.ts";
import { applyAssetMapping } from "../asset-mapping.ts";
import { spendQuota } from "../quota.ts";
import { requestAsset } from "../request-asset.ts";
import { RETRY_AFTER_SECONDS } from "../../shared/limits.ts";
import { checkReplay, idempotencyKey } from "../idempotency.ts";
import { enrichEvents, redactEvents, refuseReservedMembers, storedRedactions } from "../ingest-transforms.ts";
import { countRedactions } from "../redaction-counters.ts";
import type { RedactionCounts } from "../../shared/redaction/redact.ts";

export type Decoder = (text: string, contentType: string | null, ctx: DecodeContext) => Decoded<TelemetryEvent[]>;

export const ingest = new Hono<AppEnv>();

/** Read, bound and decode the body with a connector; a bad body becomes a 4xx ApiError. */
export async function decodeRequest(c: Context<AppEnv>, decoder: Decoder): Promise<{ events: TelemetryEvent[]; text: string }> {
  const asset = requestAsset(c.req.raw);
  const text = await readBodyText(c.req.raw);
  if (!text.trim()) throw new ApiError("invalid_body", "The request body is empty.");
  const ctx: DecodeContext = { receivedAt: Date.now() };
  if (asset !== undefined) ctx.asset = asset;
  const decoded = decoder(text, c.req.header("content-type") ?? null, ctx);
  if (!decoded.ok) {
    const { code, detail, errors } = decoded.error;
    throw new ApiError(code, detail, errors ? { errors } : {});
  }
  return { events: decoded.value, text };
}

/**
 * Check quotas, store, and answer: 200 when every asset committed, 207 when some did,
 * 429 when quotas or every asset's cap refused, 503 when storage failed for all.
 */
export async function storeEvents(c: Context<AppEnv>, events: TelemetryEvent[], sourceDedupeKey?: string): Promise<{ outcomes: AssetOutcome[]; accepted: number; redactions?: RedactionCounts }> {
  const principal = c.get("principal");
  const config = c.get("tenantConfig");
  // Redaction before anything else reads the records (workers/ingest-transforms.ts has the order and why).
  refuseReservedMembers(config, events);
  const redacted = redactEvents(c.env, config, events);
  // The client's Idempotency-Key wins; else the source's own redelivery identity, if it has one.
  const key = idempotencyKey(c);
  // The assets' batch de-duplication keys on the content too: once the 24 h record has expired, a
  // reused key with new content must store it, not match an old batch still in the buffer.
  const dedupe = key !== undefined ? `idem:${c.get("principal").keyId}:${key}:${(await checkReplay(c, key, events)).slice(0, 32)}` : sourceDedupeKey;
  const quotas = effectiveQuotas(c.env, config);
  const wait = await spendQuota(c.env, principal, quotas, events.length);
  if (wait > 0) {
    throw new ApiError("rate_limited", `This tenant or key is over its ingest quota; retry in ${wait} s. Nothing was stored.`, {
      headers: { "Retry-After": String(wait) },
    });
  }
  // record_field yields to an asset the request names; aliases apply to every asset.
  applyAssetMapping(events, config?.asset_mapping, requestAsset(c.req.raw) !== undefined);
  await enrichEvents(c, events);
  const outcomes = await fanOut(c.env, principal.tenant, effectiveRing(c.env, config), quotas.asset_events_per_second, events, dedupe, config);
  if (outcomes.length > 0 && outcomes.every((o) => o.duplicate)) c.header("Idempotent-Replay", "true");
  const accepted = outcomes.reduce((n, o) => n + o.accepted, 0);
  c.set("events", accepted);
  c.set("ingested", { events, outcomes });
  const redactions = redacted ? storedRedactions(events, redacted, outcomes) : undefined;
  if (redactions) countRedactions(c.env, (p) => c.executionCtx.waitUntil(p), principal.tenant, redactions);
  if (accepted === 0 && outcomes.some((o) => o.error)) {
    if (outcomes.every((o) => o.error === "rate_limited")) {
      const retry = retryAfter(outcomes);
      throw new ApiError("rate_limited", `The asset is over its ingest rate; retry in ${retry} s. Nothing was stored.`, { headers: { "Retry-After": String(retry) } });
    }
    throw new ApiError("unavailable", "Storage is temporarily unavailable; nothing was stored. Retry later.", {
      headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
    });
  }
  return redactions ? { outcomes, accepted, redactions } : { outcomes, accepted };
}

function retryAfter(outcomes: AssetOutcome[]): number {
  return Math.max(RETRY_AFTER_SECONDS, ...outcomes.map((o) => o.retry_after_seconds ?? 0));
}

export function partial(c: Context<AppEnv>, outcomes: AssetOutcome[], accepted: number) {
  return c.json({
    ok: false, accepted,
    assets: Object.fromEntries(outcomes.map((o) => [o.asset, o.accepted])),
    errors: outcomes.filter((o) => o.error).map((o) => ({
      asset: o.asset, accepted: o.accepted, status: o.error === "rate_limited" ? 429 : 503,
      detail: o.error === "rate_limited" ? "over the asset's ingest rate" : "storage temporarily unavailable",
    })),
  }, 207, { "Retry-After": String(retryAfter(outcomes)) });
}

const telemetry = async (c: Context<AppEnv>) => {
  const { events } = await decodeRequest(c, decodeFixopsTelemetry);
  const { outcomes, accepted } = await storeEvents(c, events);
  if (outcomes.some((o) => o.error)) return partial(c, outcomes, accepted);
  return c.json({ ok: true, accepted, asset: events[0]!.asset });
};

ingest.post("/v1/telemetry", requireScope("ingest"), telemetry);
ingest.post("/telemetry", requireScope("ingest"), telemetry);

/** The common answer of batch ingest routes: 200 with per-asset counts, or 207 when some failed. */
export function batchAnswer(c: Context<AppEnv>, outcomes: AssetOutcome[], accepted: number) {
  if (outcomes.some((o) => o.error)) return partial(c, outcomes, accepted);
  return c.json({ ok: true, accepted, assets: Object.fromEntries(outcomes.map((o) => [o.asset, o.accepted])) });
}

// Vector's http sink health check: a HEAD on the sink's URI must answer 200 (it reveals nothing).
// (Hono routes HEAD through GET handlers; a real GET is not an ingest method.)
ingest.get("/v1/logs", (c) => {
  if (c.req.method === "HEAD") return c.body(null, 200);
  throw new ApiError("method_not_allowed", "POST log records to /v1/logs.", { headers: { Allow: "POST, HEAD" } });
});

ingest.post("/v1/logs", requireScope("ingest"), async (c) => {
  const { events } = await decodeRequest(c, decodeHttpLogs);
  const { outcomes, accepted } = await storeEvents(c, events);
  return batchAnswer(c, outcomes, accepted);
});
