/**
 * `POST /v1/ingest/azure/eventhub` (diagnostic records, Event Grid, CloudEvents) and the
 * CloudEvents webhook handshake (`OPTIONS` with `WebHook-Request-Origin`). Event Grid and
 * CloudEvents subscriptions cannot always send headers: `?key=<api key>` is accepted here.
 * Event Grid dead-letters 400 and 413 at once and retries the rest, so 4xx means "never".
 */
import { Hono } from "hono";
import { sha256Hex } from "../../shared/hex.ts";
import { RETRY_AFTER_SECONDS } from "../../shared/limits.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { requirePushIngest } from "../auth/require.ts";
import { readBodyText } from "../body.ts";
import { decodeAzure } from "../connectors/azure.ts";
import { requestAsset } from "../request-asset.ts";
import { batchAnswer, storeEvents } from "./ingest.ts";

export const ingestAzure = new Hono<AppEnv>();

const ROUTE = "/v1/ingest/azure/eventhub";
const pushAuth = requirePushIngest("Send an API key (header, or ?key= in the subscription's endpoint URL).");

// CloudEvents 1.0 webhook abuse protection: allow the origin that asks, once authenticated.
ingestAzure.options(ROUTE, pushAuth, async (c) => {
  const origin = c.req.header("webhook-request-origin");
  if (!origin || origin.length > 256) throw new ApiError("invalid_parameter", "WebHook-Request-Origin is required for the handshake.");
  return c.body(null, 200, { "WebHook-Allowed-Origin": origin, "WebHook-Allowed-Rate": "*", Allow: "POST, OPTIONS" });
});

ingestAzure.post(ROUTE, pushAuth, async (c) => {
  const text = await readBodyText(c.req.raw);
  if (!text.trim()) throw new ApiError("invalid_body", "The request body is empty.");
  const asset = requestAsset(c.req.raw);
  const decoded = decodeAzure(text, { receivedAt: Date.now(), ...(asset ? { asset } : {}) });
  if (!decoded.ok) throw new ApiError(decoded.error.code, decoded.error.detail, decoded.error.errors ? { errors: decoded.error.errors } : {});
  if (decoded.value.kind === "validation") return c.json({ validationResponse: decoded.value.validationCode });
  // Event Grid and forwarders retry with the same body: its digest identifies the redelivery.
  const { outcomes, accepted } = await storeEvents(c, decoded.value.events, `az:${await sha256Hex(text)}`);
  // Event Grid counts any 2xx as delivered: a partial store must ask for a retry instead of 207.
  if (outcomes.some((o) => o.error)) {
    throw new ApiError("unavailable", "Some events could not be stored yet; retry the delivery.", { headers: { "Retry-After": String(RETRY_AFTER_SECONDS) } });
  }
  return batchAnswer(c, outcomes, accepted);
});
