/**
 * Live tail (scope read): `GET /v1/assets/{asset}/tail` upgrades to a WebSocket held by the
 * asset's AssetLog; `POST /v1/assets/{asset}/tail/token` makes a short-lived `?token=` for
 * clients that cannot set headers (browsers). The edge authenticates; a client that asked to
 * upgrade learns of any refusal from a close frame (1008 + reason), which browsers can read,
 * unlike an HTTP status. Protocol: docs/live-tail.md.
 */
import { Hono, type Context } from "hono";
import { isValidAssetId } from "../../shared/events.ts";
import { TAIL_SNAPSHOT_DEFAULT_EVENTS, TAIL_SNAPSHOT_MAX_EVENTS } from "../../shared/limits.ts";
import type { Principal } from "../../shared/scopes.ts";
import { assetObjectName } from "../../durable-objects/env.ts";
import { closedSocket, TAIL_HEADERS } from "../../durable-objects/asset-log/live-tail.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { presentedKey } from "../auth/api-key-auth.ts";
import { authenticate, requireScope } from "../auth/require.ts";
import { mintTailToken, verifyTailToken } from "../auth/tail-token.ts";

export const tail = new Hono<AppEnv>();

const POLICY_VIOLATION = 1008;
const TRY_AGAIN_LATER = 1013;

tail.post("/v1/assets/:asset/tail/token", requireScope("read"), async (c) => {
  const asset = c.req.param("asset");
  if (!isValidAssetId(asset)) {
    throw new ApiError("invalid_parameter", "Asset ids are 1-128 characters of [A-Za-z0-9._:/@-].", {
      errors: [{ pointer: "/path/asset", detail: "invalid asset id" }],
    });
  }
  const { tenant, keyId } = c.get("principal");
  const minted = await mintTailToken(c.env, { tenant, asset, keyId }, Date.now());
  if (!minted) {
    throw new ApiError("unavailable", "Tail tokens are not configured on this deployment (set the TAIL_TOKEN_SECRET secret); header authentication still works.");
  }
  c.header("Cache-Control", "no-store");
  return c.json({ token: minted.token, expires_at: new Date(minted.exp).toISOString() });
});

tail.get("/v1/assets/:asset/tail", async (c) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError("upgrade_required", "This is a WebSocket endpoint: connect with Upgrade: websocket.", { headers: { Upgrade: "websocket" } });
  }
  const asset = c.req.param("asset");
  if (!isValidAssetId(asset)) return closedSocket(POLICY_VIOLATION, "Asset ids are 1-128 characters of [A-Za-z0-9._:/@-].");
  const rawSnapshot = c.req.query("snapshot");
  const snapshot = rawSnapshot === undefined ? TAIL_SNAPSHOT_DEFAULT_EVENTS : Number(rawSnapshot);
  if (!/^\d{1,4}$/.test(rawSnapshot ?? "0") || snapshot > TAIL_SNAPSHOT_MAX_EVENTS) {
    return closedSocket(POLICY_VIOLATION, `snapshot must be an integer from 0 to ${TAIL_SNAPSHOT_MAX_EVENTS}.`);
  }
  const who = await tailPrincipal(c, asset);
  if (typeof who === "string") return closedSocket(POLICY_VIOLATION, who);
  c.set("principal", who);

  // A fresh request: only what the edge verified reaches the object, never the client's headers or URL.
  const upgrade = new Request("https://asset-log.internal/tail", {
    headers: { Upgrade: "websocket", [TAIL_HEADERS.tenant]: who.tenant, [TAIL_HEADERS.asset]: asset, [TAIL_HEADERS.snapshot]: String(snapshot) },
  });
  try {
    return await c.env.ASSET_LOG.getByName(assetObjectName(who.tenant, asset)).fetch(upgrade);
  } catch (e) {
    const flags = e as { retryable?: boolean; overloaded?: boolean };
    if (flags.retryable || flags.overloaded) return closedSocket(TRY_AGAIN_LATER, "The asset's log is temporarily unavailable; retry shortly.");
    throw e;
  }
});

/** The principal a tail connects as, or the close reason (at most 123 bytes, as close frames allow). */
async function tailPrincipal(c: Context<AppEnv>, asset: string): Promise<Principal | string> {
  const key = presentedKey(c.req.raw);
  const token = c.req.query("token");
  if (key && token !== undefined) return "Send a key header or a token, not both.";
  if (key) {
    const auth = await authenticate(c.env, key);
    if (!auth) return "The API key or token is not valid.";
    if (!auth.principal.scopes.includes("read")) return 'This credential lacks the "read" scope.';
    return auth.principal;
  }
  if (token) {
    const checked = await verifyTailToken(c.env, token, Date.now());
    if (!checked.ok) return checked.error === "expired" ? "The tail token has expired; ask for a new one." : "The tail token is not valid.";
    if (checked.value.asset !== asset) return "The tail token is for another asset.";
    return { tenant: checked.value.tenant, keyId: checked.value.keyId, scopes: ["read"] };
  }
  return "Send a read key (Authorization: Bearer or X-API-Key) or ?token= from POST .../tail/token.";
}
