/**
 * `GET /metrics`: Prometheus text exposition 0.0.4. This isolate's own series for the
 * viewer, then (except in the public view) the per-asset series the AssetLog objects last
 * reported to their tenants' indexes and the retention totals the Tenants keep. What each
 * series means: docs/metrics.md.
 */
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { requireMetricsViewer } from "../auth/metrics-viewer.ts";
import { assetFamilies, incompleteFamily } from "../metrics/asset-families.ts";
import { operatorReports, tenantReports } from "../metrics/asset-reports.ts";
import { edgeFamilies } from "../metrics/edge-metrics.ts";
import { retentionFamily } from "../metrics/retention-family.ts";
import { redactionFamily } from "../metrics/redaction-family.ts";
import { EXPOSITION_CONTENT_TYPE, renderExposition, type MetricFamily } from "../metrics/exposition.ts";

export const metrics = new Hono<AppEnv>();

metrics.get("/metrics", requireMetricsViewer, async (c) => {
  const view = c.get("metricsView");
  const families: MetricFamily[] = edgeFamilies(view);
  // Asset ids and alert rule names are tenant data: never in the public view.
  if (view.kind === "tenant") {
    const { reports, retention, redactions, incomplete } = await tenantReports(c.env, view.tenant);
    families.push(...assetFamilies(reports), retentionFamily(retention), redactionFamily(redactions), incompleteFamily(["asset_cap"], incomplete));
  } else if (view.kind === "operator") {
    const { reports, retention, redactions, incomplete } = await operatorReports(c.env);
    families.push(...assetFamilies(reports), retentionFamily(retention), redactionFamily(redactions), incompleteFamily(["tenant_cap", "asset_cap", "tenant_unavailable"], incomplete));
  }
  return c.body(renderExposition(families), 200, { "Content-Type": EXPOSITION_CONTENT_TYPE, "Cache-Control": "no-store" });
});
