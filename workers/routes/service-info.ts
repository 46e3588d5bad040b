/**
 * Service info: `GET /v1/version` (public: version, git sha, build time) and `GET /v1/system`
 * (scope read: live checks of what this tenant depends on — its Tenant object, one of its
 * AssetLog objects, its evidence store — and a summary of its effective config, never a secret).
 */
import { Hono } from "hono";
import { assetRules } from "../../shared/asset-rules.ts";
import { effectiveQuotas, effectiveRetention, effectiveRing } from "../../shared/config.ts";
import { StoreFailure } from "../../shared/storage/evidence-store.ts";
import { evidenceStoreFor, storeDeps } from "../../shared/storage/store-for.ts";
import { SERVICE_NAME, SERVICE_VERSION } from "../../shared/version.ts";
import { tenantObjectName } from "../../durable-objects/env.ts";
import type { AppEnv } from "../app-env.ts";
import { requireScope } from "../auth/require.ts";

export const serviceInfo = new Hono<AppEnv>();

serviceInfo.get("/v1/version", (c) =>
  c.json({
    service: SERVICE_NAME,
    version: SERVICE_VERSION,
    api_version: "v1",
    // Set at deploy time (`--var GIT_SHA:… --var BUILD_TIME:…`, as npm start and docs/deploy.md do).
    git_sha: c.env.GIT_SHA || "unknown",
    build_time: c.env.BUILD_TIME || "unknown",
  }));

type Check = { ok: true; ms: number } | { ok: false; ms: number; reason: string };

async function timed(run: () => Promise<unknown>): Promise<Check> {
  const started = Date.now();
  try {
    await run();
    return { ok: true, ms: Date.now() - started };
  } catch (e) {
    // Only the class of failure: messages may hold hosts or ids a client should not see.
    return { ok: false, ms: Date.now() - started, reason: e instanceof StoreFailure ? e.reason : "unavailable" };
  }
}

serviceInfo.get("/v1/system", requireScope("read"), async (c) => {
  const { tenant } = c.get("principal");
  const config = c.get("tenantConfig");
  const rules = assetRules(c.env, config);
  const tenantStub = c.env.TENANT.getByName(tenantObjectName(tenant));
  const built = evidenceStoreFor(config?.evidence_store, storeDeps(c.env));
  const [tenantObject, assetIndex, store] = await Promise.all([
    timed(() => tenantStub.get()),
    timed(() => tenantStub.assets(1)),
    built.ok
      ? timed(() => built.value.list(`evidence/${tenant}/`))
      : Promise.resolve<Check>({ ok: false, ms: 0, reason: "config" }),
  ]);
  const checks = { tenant_object: tenantObject, asset_index: assetIndex, evidence_store: store };
  return c.json({
    service: SERVICE_NAME,
    version: SERVICE_VERSION,
    now: new Date().toISOString(),
    tenant,
    ok: Object.values(checks).every((x) => x.ok),
    checks,
    config: {
      ring_buffer: effectiveRing(c.env, config),
      retention_days: effectiveRetention(c.env, config),
      quotas: effectiveQuotas(c.env, config),
      evidence_store: built.ok ? { provider: built.value.provider, bucket: built.value.bucket } : { provider: config?.evidence_store?.provider ?? "r2", error: built.error.detail },
      forwarding: rules.forwarding ? { mode: rules.forwarding.mode, interval_seconds: rules.forwarding.interval_seconds } : { mode: "off" },
      counting_rules: rules.counting_rules,
      alert_rules: rules.alert_rules.length,
      alert_webhook: rules.alert_webhook !== null,
      raw_spill: rules.raw_spill,
      // As cached with the credential (up to 30 s behind an admin change).
      incident: config?.incident && Date.now() < config.incident.until
        ? { id: config.incident.id, until: new Date(config.incident.until).toISOString(), assets: config.incident.assets, ring_factor: config.incident.ring_factor }
        : null,
    },
  }, Object.values(checks).every((x) => x.ok) ? 200 : 503);
});
