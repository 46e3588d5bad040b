/**
 * `GET /v1/assets/{asset}/summary?since=&until=` (scope read): per-minute rollups merged over
 * the window, with the FixOps ops-telemetry summary. `since`/`until` are ISO 8601 times or
 * whole seconds before now; default: the last hour.
 */
import { Hono } from "hono";
import { SUMMARY_MAX_MINUTES } from "../../shared/limits.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { assetFromPath } from "../asset-param.ts";
import { assetRef, assetStub } from "../asset-ref.ts";
import { requireScope } from "../auth/require.ts";

export const summary = new Hono<AppEnv>();

const DEFAULT_WINDOW_SECONDS = 3600;

/** An ISO 8601 time or whole seconds before `now`; epoch ms. */
export function parseTime(raw: string | undefined, name: string, now: number, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  if (/^\d{1,10}$/.test(raw)) return now - Number(raw) * 1000;
  const ms = raw.length <= 40 && /^\d{4}-\d{2}-\d{2}T/.test(raw) ? Date.parse(raw) : NaN;
  if (!Number.isFinite(ms)) {
    throw new ApiError("invalid_parameter", `${name} must be an ISO 8601 time (2026-11-25T10:00:00Z) or a number of seconds before now.`, {
      errors: [{ pointer: `/query/${name}`, detail: "not a time" }],
    });
  }
  return ms;
}

summary.get("/v1/assets/:asset/summary", requireScope("read"), async (c) => {
  const asset = assetFromPath(c);
  const now = Date.now();
  const until = parseTime(c.req.query("until"), "until", now, now);
  const since = parseTime(c.req.query("since"), "since", now, now - DEFAULT_WINDOW_SECONDS * 1000);
  if (since >= until) throw new ApiError("invalid_parameter", "since must be before until.", { errors: [{ pointer: "/query/since", detail: "not before until" }] });
  if (until - since > SUMMARY_MAX_MINUTES * 60_000) {
    throw new ApiError("invalid_parameter", `A summary spans at most ${SUMMARY_MAX_MINUTES / 1440} days.`, { errors: [{ pointer: "/query/since", detail: "window too long" }] });
  }
  const body = await assetStub(c, asset).summary(assetRef(c, asset), { since, until });
  return c.json({ asset, ...body });
});
