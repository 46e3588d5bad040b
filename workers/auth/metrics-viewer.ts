/**
 * Who scrapes `GET /metrics`, and so what the scrape shows: a key with the `metrics` scope
 * sees its tenant, the operator's ADMIN_TOKEN sees every tenant, and nobody (no credential)
 * sees the tenant-free public view only when the deployment sets METRICS_PUBLIC=true.
 */
import { createMiddleware } from "hono/factory";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import type { MetricsView } from "../metrics/registry.ts";
import { isAdminToken } from "./admin-token.ts";
import { presentedKey } from "./api-key-auth.ts";
import { authenticate } from "./require.ts";

const CHALLENGE = { headers: { "WWW-Authenticate": 'Bearer realm="telemetry-bridge"' } };

/** Sets `metricsView`. A credential that is presented must be valid, even when the view could be public. */
export const requireMetricsViewer = createMiddleware<AppEnv & { Variables: { metricsView: MetricsView } }>(async (c, next) => {
  const credential = presentedKey(c.req.raw);
  if (!credential) {
    if (c.env.METRICS_PUBLIC !== "true") throw new ApiError("unauthorized", "Send a key with the metrics scope, or the admin token, as Authorization: Bearer <key>.", CHALLENGE);
    c.set("metricsView", { kind: "public" });
    return next();
  }
  if (await isAdminToken(c.env.ADMIN_TOKEN, credential)) {
    c.set("actor", "operator");
    c.set("metricsView", { kind: "operator" });
    return next();
  }
  const auth = await authenticate(c.env, credential);
  if (!auth) throw new ApiError("unauthorized", "The API key or token is not valid.", CHALLENGE);
  if (!auth.principal.scopes.includes("metrics")) throw new ApiError("forbidden", 'This key lacks the "metrics" scope.');
  c.set("principal", auth.principal);
  c.set("tenantConfig", auth.config);
  c.set("metricsView", { kind: "tenant", tenant: auth.principal.tenant });
  await next();
});
