/**
 * Alerts of an asset: `GET /v1/assets/{asset}/alerts` (scope read) and
 * `POST /v1/assets/{asset}/alerts/{id}/ack|suppress|resolve` (scope admin), body optional
 * `{"note": "...", "mute_seconds": n}` (mute: suppress only). Semantics: docs/alerts.md.
 */
import { Hono } from "hono";
import { ALERT_STATUSES, type AlertAction, type AlertStatus } from "../../durable-objects/asset-log/alert-records.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { assetFromPath } from "../asset-param.ts";
import { assetRef, assetStub } from "../asset-ref.ts";
import { requireScope } from "../auth/require.ts";
import { readBodyText } from "../body.ts";
import { parseJson } from "../connectors/json-text.ts";

export const alerts = new Hono<AppEnv>();

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
const MAX_NOTE = 1000;
/** A suppressed alert mutes its rule and key for this long unless the request says otherwise. */
const DEFAULT_MUTE_SECONDS = 3600;
const MAX_MUTE_SECONDS = 30 * 86_400;
const ALERT_ID_RE = /^\d{1,16}-[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

alerts.get("/v1/assets/:asset/alerts", requireScope("read"), async (c) => {
  const asset = assetFromPath(c);
  const raw = c.req.query("limit");
  const limit = raw === undefined ? DEFAULT_PAGE : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new ApiError("invalid_parameter", `limit must be an integer from 1 to ${MAX_PAGE}.`);
  const status = c.req.query("status");
  if (status !== undefined && !ALERT_STATUSES.includes(status as AlertStatus)) {
    throw new ApiError("invalid_parameter", `status must be one of ${ALERT_STATUSES.join(", ")}.`);
  }
  const cursor = c.req.query("cursor");
  if (cursor !== undefined && !/^\d{1,15}$/.test(cursor)) throw new ApiError("invalid_parameter", "cursor must be a value returned by a previous page.");
  const page = await assetStub(c, asset).alerts(assetRef(c, asset), {
    limit, ...(status ? { status: status as AlertStatus } : {}), ...(cursor ? { before: Number(cursor) } : {}),
  });
  return c.json({ asset, alerts: page.alerts, next_cursor: page.cursor });
});

for (const action of ["ack", "suppress", "resolve"] as const satisfies readonly AlertAction[]) {
  alerts.post(`/v1/assets/:asset/alerts/:id/${action}`, requireScope("admin"), async (c) => {
    const asset = assetFromPath(c);
    const id = c.req.param("id");
    if (!ALERT_ID_RE.test(id)) throw new ApiError("not_found", "No such alert.");
    const body = await optionalBody(c.req.raw);
    const note = body.note;
    if (note !== undefined && (typeof note !== "string" || note.length > MAX_NOTE)) {
      throw new ApiError("unprocessable", `note must be a string of at most ${MAX_NOTE} characters.`, { errors: [{ pointer: "/note", detail: "invalid" }] });
    }
    const mute = body.mute_seconds ?? (action === "suppress" ? DEFAULT_MUTE_SECONDS : undefined);
    if (mute !== undefined && (action !== "suppress" || !Number.isSafeInteger(mute) || (mute as number) < 0 || (mute as number) > MAX_MUTE_SECONDS)) {
      throw new ApiError("unprocessable", `mute_seconds applies to suppress only: an integer from 0 to ${MAX_MUTE_SECONDS}.`, { errors: [{ pointer: "/mute_seconds", detail: "invalid" }] });
    }
    const p = c.get("principal");
    const res = await assetStub(c, asset).alertAction(assetRef(c, asset), id, action, {
      actor: `key:${p.keyId}`, ...(note !== undefined ? { note: note as string } : {}), ...(mute !== undefined ? { mute_seconds: mute as number } : {}),
    });
    if (!res.ok) {
      if (res.error.code === "not_found") throw new ApiError("not_found", "No such alert.");
      throw new ApiError("conflict", `The alert is ${res.error.status}; it cannot be ${action === "ack" ? "acknowledged" : `${action}d`} now.`);
    }
    return c.json(res.alert);
  });
}

async function optionalBody(req: Request): Promise<Record<string, unknown>> {
  const text = await readBodyText(req);
  if (!text.trim()) return {};
  const parsed = parseJson(text);
  if (!parsed.ok) throw new ApiError(parsed.error.code, parsed.error.detail);
  const v = parsed.value;
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ApiError("unprocessable", "The body must be a JSON object.");
  return v as Record<string, unknown>;
}
