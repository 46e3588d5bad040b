/**
 * Admin: incident mode (docs/incident-mode.md). Start, change, read and end the tenant's incident;
 * the Tenant object records it (and audits it), and every affected asset's AssetLog is told at
 * once, so raised bounds and hourly sealing start without waiting for the asset's next append.
 */
import { Hono, type Context } from "hono";
import { assetRules } from "../../shared/asset-rules.ts";
import { effectiveRing, type TenantConfig } from "../../shared/config.ts";
import { decodeIncidentRequest, incidentView, type Incident } from "../../shared/incident.ts";
import { TENANT_ID_RE } from "../../shared/scopes.ts";
import { assetObjectName, tenantObjectName } from "../../durable-objects/env.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { forgetTenant } from "../auth/api-key-auth.ts";
import { requireTenantAdmin } from "../auth/require.ts";
import { readBodyText } from "../body.ts";
import { parseJson } from "../connectors/json-text.ts";
import { log } from "../log.ts";

export const incidents = new Hono<AppEnv>();

/**
 * A tenant-wide incident tells at most this many assets at once (in asset-id order); others learn
 * with their next append. Bounded so one admin request stays well inside the Workers subrequest limit.
 */
export const INCIDENT_NOTIFY_MAX_ASSETS = 500;
const NOTIFY_CONCURRENCY = 8;
const INDEX_PAGE = 500;

function tenantOf(c: Context<AppEnv>): string {
  const t = c.req.param("tenant") ?? "";
  if (!TENANT_ID_RE.test(t)) throw new ApiError("not_found", "No such tenant.");
  return t;
}

const stubOf = (c: Context<AppEnv>, tenant: string) => c.env.TENANT.getByName(tenantObjectName(tenant));

/**
 * The assets to tell, as far as the index knows (bounded): those of the incident, and, when it
 * changed an incident in force (same id), those of the version before, so an asset it no longer
 * lists stops its raised bounds and seals its close too.
 */
async function affectedAssets(c: Context<AppEnv>, tenant: string, incident: Incident, previous: Incident | null): Promise<{ assets: string[]; more: boolean }> {
  const before = previous && previous.id === incident.id ? previous.assets : [];
  if (incident.assets !== null && before !== null) return { assets: [...new Set([...before, ...incident.assets])].sort(), more: false };
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await stubOf(c, tenant).assets(INDEX_PAGE, cursor);
    for (const a of page.assets) out.push(a.asset);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined && out.length < INCIDENT_NOTIFY_MAX_ASSETS);
  return { assets: out.slice(0, INCIDENT_NOTIFY_MAX_ASSETS), more: cursor !== undefined || out.length > INCIDENT_NOTIFY_MAX_ASSETS };
}

/** Tell each asset; an asset that cannot be reached now learns it with its next append. */
async function notifyAssets(c: Context<AppEnv>, tenant: string, config: TenantConfig, assets: string[]): Promise<number> {
  const ring = effectiveRing(c.env, config);
  const rules = assetRules(c.env, config);
  let next = 0;
  let notified = 0;
  const worker = async () => {
    while (next < assets.length) {
      const asset = assets[next++]!;
      try {
        const res = await c.env.ASSET_LOG.getByName(assetObjectName(tenant, asset)).noteIncident({ tenant, asset, ring, rules });
        if (res.applied) notified++;
      } catch (e) {
        log.warn("IncidentNotifyFailed", { tenant, asset, error: String((e as Error).message ?? e).slice(0, 300) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(NOTIFY_CONCURRENCY, assets.length) }, worker));
  return notified;
}

async function answer(c: Context<AppEnv>, tenant: string, incident: Incident, previous: Incident | null, config: TenantConfig) {
  forgetTenant(tenant);
  const { assets, more } = await affectedAssets(c, tenant, incident, previous);
  const notified = await notifyAssets(c, tenant, config, assets);
  return { incident: incidentView(incident, Date.now()), assets_notified: notified, assets_pending_next_append: more };
}

incidents.post("/v1/admin/tenants/:tenant/incident", requireTenantAdmin, async (c) => {
  const tenant = tenantOf(c);
  const text = await readBodyText(c.req.raw);
  const parsed = parseJson(text.trim() ? text : "{}");
  if (!parsed.ok) throw new ApiError(parsed.error.code, parsed.error.detail);
  const body = parsed.value;
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ApiError("unprocessable", "The body must be a JSON object.");
  const req = decodeIncidentRequest(body as Record<string, unknown>);
  if (!req.ok) throw new ApiError("unprocessable", "The incident is invalid.", { errors: req.errors });
  const res = await stubOf(c, tenant).startIncident(req.value, c.get("actor"));
  if (!res.ok) throw new ApiError("not_found", "No such tenant.");
  return c.json(await answer(c, tenant, res.value.incident, res.value.previous, res.value.config), res.value.started ? 201 : 200);
});

incidents.get("/v1/admin/tenants/:tenant/incident", requireTenantAdmin, async (c) => {
  const res = await stubOf(c, tenantOf(c)).incident();
  if (!res.ok) throw new ApiError("not_found", "No such tenant.");
  if (res.value === null) throw new ApiError("not_found", "This tenant has had no incident.");
  return c.json({ incident: incidentView(res.value, Date.now()) });
});

incidents.delete("/v1/admin/tenants/:tenant/incident", requireTenantAdmin, async (c) => {
  const tenant = tenantOf(c);
  const res = await stubOf(c, tenant).endIncident(c.get("actor"));
  if (!res.ok) throw new ApiError("not_found", res.error.code === "no_active_incident" ? "No incident is active." : "No such tenant.");
  return c.json(await answer(c, tenant, res.value.incident, res.value.previous, res.value.config));
});
