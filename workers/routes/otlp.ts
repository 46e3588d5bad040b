/**
 * `POST /v1/otlp/v1/logs`: OTLP/HTTP JSON logs. Success is `200 {}`, or `200 {"partialSuccess":
 * {"rejectedLogRecords", "errorMessage"}}` when some records were invalid (the rest are kept).
 * OTLP exporters retry only 429, 502, 503 and 504, so those are used only when a retry can succeed.
 */
import { Hono } from "hono";
import { sha256Hex } from "../../shared/hex.ts";
import { RETRY_AFTER_SECONDS } from "../../shared/limits.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { requireScope } from "../auth/require.ts";
import { readBodyText } from "../body.ts";
import { decodeOtlpLogs } from "../connectors/otlp-logs.ts";
import { requestAsset } from "../request-asset.ts";
import { storeEvents } from "./ingest.ts";

export const otlp = new Hono<AppEnv>();

otlp.post("/v1/otlp/v1/logs", requireScope("ingest"), async (c) => {
  const asset = requestAsset(c.req.raw);
  const text = await readBodyText(c.req.raw);
  const decoded = decodeOtlpLogs(text, c.req.header("content-type") ?? null, { receivedAt: Date.now(), ...(asset ? { asset } : {}) });
  if (!decoded.ok) throw new ApiError(decoded.error.code, decoded.error.detail, decoded.error.errors ? { errors: decoded.error.errors } : {});
  const { events, rejected, errorMessage } = decoded.value;
  // Exporters retry with the same payload: its digest identifies the redelivery.
  const { outcomes } = await storeEvents(c, events, `otlp:${await sha256Hex(text)}`);
  if (outcomes.some((o) => o.error)) {
    throw new ApiError("unavailable", "Some log records could not be stored yet; retry the export.", { headers: { "Retry-After": String(RETRY_AFTER_SECONDS) } });
  }
  return c.json(rejected ? { partialSuccess: { rejectedLogRecords: String(rejected), errorMessage } } : {});
});
