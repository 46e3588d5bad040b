/**
 * `POST /v1/ingest/gcp/pubsub`: Pub/Sub push subscriptions. Credentials: the push's OIDC token
 * (a JWT issuer of the tenant, e.g. accounts.google.com with the subscription's audience and
 * `required_claims: {"email": "<push service account>"}`), an API key as Bearer, or `?key=` for
 * subscriptions that send no token. Pub/Sub acks only 102, 200, 201, 202 and 204: 200 is sent
 * only when every event is stored; permanently bad messages get 4xx (route them to a dead-letter
 * topic); anything retryable gets 429/503.
 */
import { Hono } from "hono";
import { sha256Hex } from "../../shared/hex.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { requirePushIngest } from "../auth/require.ts";
import { readBodyText } from "../body.ts";
import { decodePubSub } from "../connectors/gcp-pubsub.ts";
import { requestAsset } from "../request-asset.ts";
import { storeEvents } from "./ingest.ts";
import { RETRY_AFTER_SECONDS } from "../../shared/limits.ts";

export const ingestGcp = new Hono<AppEnv>();

const pushAuth = requirePushIngest("Configure the push subscription's OIDC token, or add ?key=<api key> to its endpoint.");

ingestGcp.post("/v1/ingest/gcp/pubsub", pushAuth, async (c) => {
  const asset = requestAsset(c.req.raw);
  const text = await readBodyText(c.req.raw);
  const decoded = decodePubSub(text, c.req.raw.headers, { receivedAt: Date.now(), ...(asset ? { asset } : {}) });
  if (!decoded.ok) throw new ApiError(decoded.error.code, decoded.error.detail, decoded.error.errors ? { errors: decoded.error.errors } : {});
  // Pub/Sub redelivers with the same messageId (unique per topic, so scoped by subscription);
  // unwrapped pushes without metadata fall back to the payload's digest.
  const { messageId, subscription } = decoded.value;
  const key = messageId ? `ps:${subscription ?? ""}:${messageId}` : `ps:body:${await sha256Hex(text)}`;
  const { outcomes, accepted } = await storeEvents(c, decoded.value.events, key);
  if (outcomes.some((o) => o.error)) {
    // 207 is not an ack: ask for a redelivery, which stores only what is missing.
    throw new ApiError("unavailable", "Some events could not be stored yet; Pub/Sub will redeliver.", { headers: { "Retry-After": String(RETRY_AFTER_SECONDS) } });
  }
  return c.json({ ok: true, accepted, message_id: messageId ?? null, assets: Object.fromEntries(outcomes.map((o) => [o.asset, o.accepted])) });
});
