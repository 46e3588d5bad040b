/**
 * Operator: `POST /v1/admin/retention/run` runs the retention pass now, as the hourly cron does,
 * and answers what it deleted and whether work remains (`more`: run it again to continue).
 * `?now=<ISO time>` judges ages at another time, only where the deployment sets
 * RETENTION_TEST_CLOCK = "true" (local development and tests): in production it could delete early.
 */
import { Hono } from "hono";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { requireOperator } from "../auth/require.ts";
import { runRetention } from "../retention/retention-pass.ts";

export const retention = new Hono<AppEnv>();

function runTime(raw: string | undefined, testClock: boolean): number {
  if (raw === undefined) return Date.now();
  if (!testClock) {
    throw new ApiError("invalid_parameter", "now is accepted only where the deployment sets RETENTION_TEST_CLOCK = \"true\".", {
      errors: [{ pointer: "/query/now", detail: "time override disabled" }],
    });
  }
  const ms = raw.length <= 40 && /^\d{4}-\d{2}-\d{2}T/.test(raw) ? Date.parse(raw) : NaN;
  if (!Number.isFinite(ms)) {
    throw new ApiError("invalid_parameter", "now must be an ISO 8601 time (2027-11-25T10:00:00Z).", { errors: [{ pointer: "/query/now", detail: "not a time" }] });
  }
  return ms;
}

retention.post("/v1/admin/retention/run", requireOperator, async (c) => {
  const nowMs = runTime(c.req.query("now"), c.env.RETENTION_TEST_CLOCK === "true");
  const run = await runRetention(c.env, { nowMs, actor: c.get("actor") });
  if (!run.ok) {
    const wait = Math.max(1, Math.ceil((run.busy_until - Date.now()) / 1000));
    throw new ApiError("conflict", "A retention run is in progress (the cron's or another operator's); try again when it ends.", {
      headers: { "Retry-After": String(wait) }, busy_until: new Date(run.busy_until).toISOString(),
    });
  }
  return c.json({ ok: true, ...run.report });
});
