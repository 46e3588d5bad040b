/**
 * Network telemetry: `POST /v1/ingest/flows` (NetFlow/IPFIX JSON) and `POST /v1/ingest/zeek`
 * (Zeek conn.log JSON), scope ingest (docs/connectors.md). Records are validated one by one:
 * 200 when every record was stored, 207 listing the refused ones (`errors: [{index, pointer,
 * detail}]`) and any asset that could not store, 422 when every record was refused.
 */
import { Hono, type Context } from "hono";
import type { TelemetryEvent } from "../../shared/events.ts";
import { sha256Hex } from "../../shared/hex.ts";
import { MAX_REPORTED_RECORD_ERRORS, RETRY_AFTER_SECONDS } from "../../shared/limits.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { requireScope } from "../auth/require.ts";
import { readBodyText } from "../body.ts";
import type { DecodeContext } from "../connectors/fixops-telemetry.ts";
import type { Decoded } from "../connectors/json-text.ts";
import { decodeNetflow } from "../connectors/netflow.ts";
import type { NetworkDecoded } from "../connectors/network-records.ts";
import { decodeZeekConn } from "../connectors/zeek.ts";
import { requestAsset } from "../request-asset.ts";
import { storeEvents } from "./ingest.ts";

type NetworkDecoder = (text: string, contentType: string | null, ctx: DecodeContext) => Decoded<NetworkDecoded<TelemetryEvent>>;

export const ingestNetwork = new Hono<AppEnv>();

function route(kind: string, decoder: NetworkDecoder) {
  return async (c: Context<AppEnv>) => {
    const asset = requestAsset(c.req.raw);
    const text = await readBodyText(c.req.raw);
    if (!text.trim()) throw new ApiError("invalid_body", "The request body is empty.");
    const decoded = decoder(text, c.req.header("content-type") ?? null, { receivedAt: Date.now(), ...(asset !== undefined ? { asset } : {}) });
    if (!decoded.ok) throw new ApiError(decoded.error.code, decoded.error.detail, decoded.error.errors ? { errors: decoded.error.errors } : {});
    const { events, refused } = decoded.value;
    const refusedRecords = new Set(refused.map((r) => r.index)).size;
    const errors = refused.slice(0, MAX_REPORTED_RECORD_ERRORS);
    if (events.length === 0) {
      throw new ApiError("unprocessable", `All ${refusedRecords} record(s) were refused; nothing was stored.`, { errors, refused: refusedRecords });
    }
    // A retried body is the same batch: its digest is the redelivery key (an Idempotency-Key wins).
    const { outcomes, accepted, redactions } = await storeEvents(c, events, `${kind}:${await sha256Hex(text)}`);
    const assetErrors = outcomes.filter((o) => o.error).map((o) => ({
      asset: o.asset, accepted: o.accepted, status: o.error === "rate_limited" ? 429 : 503,
      detail: o.error === "rate_limited" ? "over the asset's ingest rate" : "storage temporarily unavailable",
    }));
    const body: Record<string, unknown> = {
      ok: refusedRecords === 0 && assetErrors.length === 0, accepted, refused: refusedRecords,
      assets: Object.fromEntries(outcomes.map((o) => [o.asset, o.accepted])),
    };
    if (errors.length || assetErrors.length) body.errors = [...errors, ...assetErrors];
    if (redactions && Object.keys(redactions).length) body.redactions = redactions;
    if (body.ok) return c.json(body);
    const retry = Math.max(RETRY_AFTER_SECONDS, ...outcomes.map((o) => o.retry_after_seconds ?? 0));
    return c.json(body, 207, assetErrors.length ? { "Retry-After": String(retry) } : {});
  };
}

ingestNetwork.post("/v1/ingest/flows", requireScope("ingest"), route("flows", decodeNetflow));
ingestNetwork.post("/v1/ingest/zeek", requireScope("ingest"), route("zeek", decodeZeekConn));
