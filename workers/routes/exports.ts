/**
 * `POST /v1/admin/tenants/{tenant}/exports/{name}/test` (operator, or the tenant's admin key):
 * sends one probe event to a configured export destination and reports how it answered.
 * Splunk HEC gets `{"event":{"telemetry_bridge_probe":true,…}}`; Elasticsearch a _bulk index of one
 * probe document with a fixed `_id` (so repeated tests overwrite it). Never shows the token.
 */
import { Hono } from "hono";
import { endpointRefusal } from "../../shared/storage/endpoint-policy.ts";
import { TENANT_ID_RE } from "../../shared/scopes.ts";
import { SERVICE_VERSION } from "../../shared/version.ts";
import { tenantObjectName } from "../../durable-objects/env.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { requireTenantAdmin } from "../auth/require.ts";

export const exportsAdmin = new Hono<AppEnv>();

const PROBE_TIMEOUT_MS = 10_000;

exportsAdmin.post("/v1/admin/tenants/:tenant/exports/:name/test", requireTenantAdmin, async (c) => {
  const tenant = c.req.param("tenant");
  if (!TENANT_ID_RE.test(tenant)) throw new ApiError("not_found", "No such tenant.");
  const saved = await c.env.TENANT.getByName(tenantObjectName(tenant)).get();
  if (!saved.ok) throw new ApiError("not_found", "No such tenant.");
  const dest = saved.value.config.exports?.find((d) => d.name === c.req.param("name"));
  if (!dest) throw new ApiError("not_found", "The tenant has no export of that name.");
  const fail = (reason: string, detail: string): never => {
    throw new ApiError("destination_unreachable", detail, { reason, destination: dest.name, destination_type: dest.type });
  };
  const token = (c.env as unknown as Record<string, unknown>)[dest.token_ref];
  if (typeof token !== "string" || !token) fail("config", `The Worker secret ${dest.token_ref} named by the export is not set.`);
  const refused = endpointRefusal(dest.url, c.env.ALLOW_INSECURE_STORE_ENDPOINTS === "true");
  if (refused) fail("config", `The export URL is refused: ${refused}.`);
  const at = new Date().toISOString();
  const probe = { telemetry_bridge_probe: true, tenant, at };
  const splunk = dest.type === "splunk_hec";
  const body = splunk
    ? JSON.stringify({ event: probe, sourcetype: "telemetry-bridge:probe", ...(dest.index ? { index: dest.index } : {}) })
    : `${JSON.stringify({ index: { _id: `telemetry-bridge-probe:${tenant}`, ...(dest.index ? { _index: dest.index } : {}) } })}\n${JSON.stringify(probe)}\n`;
  const started = Date.now();
  let res: Response;
  try {
    res = await fetch(dest.url, {
      method: "POST", body, redirect: "manual", signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      headers: {
        "Content-Type": splunk ? "application/json" : "application/x-ndjson",
        Authorization: splunk ? `Splunk ${token as string}` : `ApiKey ${token as string}`,
        "User-Agent": `telemetry-bridge/${SERVICE_VERSION}`,
      },
    });
  } catch (e) {
    return fail("network", (e as Error).name === "TimeoutError" ? `No answer within ${PROBE_TIMEOUT_MS} ms.` : "The destination could not be reached.");
  }
  const ms = Date.now() - started;
  const text = await res.text().catch(() => "");
  if (res.status === 401 || res.status === 403) fail("auth", `The destination refused the credential (${res.status}).`);
  if (!res.ok) fail("other", `The destination answered ${res.status}.`);
  if (!splunk && (JSON.parse(text || "{}") as { errors?: boolean }).errors) fail("other", "Elasticsearch refused the probe document.");
  return c.json({ ok: true, destination: dest.name, type: dest.type, status: res.status, ms });
});
