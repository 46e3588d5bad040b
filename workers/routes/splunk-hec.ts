/**
 * Splunk HEC: `POST /services/collector/event` (and `/services/collector`, `/services/collector/event/1.0`)
 * with `Authorization: Splunk <key>`. Answers in HEC's shape, never problem+json, because HEC
 * clients (Splunk forwarders, Vector, Fluent Bit, OTel exporters) read `code` to decide.
 */
import { Hono, type Context } from "hono";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { authenticate } from "../auth/require.ts";
import { readBodyText } from "../body.ts";
import { decodeHec, HEC, type HecReply } from "../connectors/splunk-hec.ts";
import { requestAsset } from "../request-asset.ts";
import { storeEvents } from "./ingest.ts";

export const splunkHec = new Hono<AppEnv>();

function reply(c: Context<AppEnv>, r: HecReply, headers: Record<string, string> = {}) {
  const body: Record<string, unknown> = { text: r.text, code: r.code };
  if (r.invalidEventNumber !== undefined) body["invalid-event-number"] = r.invalidEventNumber;
  return c.json(body, r.status as 200, headers);
}

/** ApiErrors from shared steps (body limits, quotas, storage) in HEC's terms. */
function fromApiError(e: ApiError): { r: HecReply; headers: Record<string, string> } {
  switch (e.code) {
    case "payload_too_large": return { r: HEC.tooLarge, headers: {} };
    case "unsupported_media_type": return { r: HEC.unsupportedEncoding, headers: {} };
    case "rate_limited":
    case "unavailable": return { r: HEC.serverBusy, headers: e.headers };
    case "unauthorized": return { r: HEC.invalidToken, headers: {} };
    default: return { r: HEC.invalidDataFormat, headers: {} };
  }
}

const handler = async (c: Context<AppEnv>) => {
  const header = c.req.header("authorization");
  if (!header) return reply(c, HEC.tokenRequired);
  const m = /^Splunk\s+(\S+)\s*$/i.exec(header);
  if (!m) return reply(c, HEC.invalidAuthorization);
  const auth = await authenticate(c.env, m[1]!);
  if (!auth || !auth.principal.scopes.includes("ingest")) return reply(c, HEC.invalidToken);
  c.set("principal", auth.principal);
  c.set("tenantConfig", auth.config);
  try {
    const asset = requestAsset(c.req.raw);
    const decoded = decodeHec(await readBodyText(c.req.raw), { receivedAt: Date.now(), ...(asset ? { asset } : {}) });
    if (!decoded.ok) return reply(c, decoded.reply);
    const { outcomes } = await storeEvents(c, decoded.value);
    // HEC has no partial success: ask for the whole batch again (safe with an Idempotency-Key).
    if (outcomes.some((o) => o.error)) return reply(c, HEC.serverBusy, { "Retry-After": "2" });
    return reply(c, HEC.success);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    const { r, headers } = fromApiError(e);
    return reply(c, r, headers);
  }
};

splunkHec.post("/services/collector/event", handler);
splunkHec.post("/services/collector/event/1.0", handler);
splunkHec.post("/services/collector", handler);
