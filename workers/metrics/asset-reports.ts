/**
 * Fetch the AssetMetrics that AssetLog objects reported to their tenants' indexes, and the
 * retention and redaction totals the Tenants keep: one tenant's, or (for the operator) the first tenants of
 * the directory. Bounded both ways, so a scrape costs at most 3 * METRICS_OPERATOR_TENANTS + 1
 * Durable Object calls.
 */
import {
  METRICS_FETCH_CONCURRENCY, METRICS_OPERATOR_ASSETS_PER_TENANT, METRICS_OPERATOR_TENANTS, METRICS_TENANT_ASSETS,
} from "../../shared/limits.ts";
import { DIRECTORY_OBJECT_NAME, tenantObjectName, type Env } from "../../durable-objects/env.ts";
import { log } from "../log.ts";
import type { AssetReport, Incompleteness } from "./asset-families.ts";
import type { RetentionTotals } from "./retention-family.ts";
import type { RedactionTotals } from "./redaction-family.ts";

export interface Reports {
  reports: AssetReport[];
  retention: RetentionTotals[];
  redactions: RedactionTotals[];
  incomplete: Set<Incompleteness>;
}

/** One tenant's reports, at most METRICS_TENANT_ASSETS (in asset id order), and its retention totals. */
export async function tenantReports(env: Env, tenant: string): Promise<Reports> {
  const stub = env.TENANT.getByName(tenantObjectName(tenant));
  const [page, deleted, counts] = await Promise.all([stub.assetMetrics(METRICS_TENANT_ASSETS), stub.retentionTotals(), stub.redactionTotals()]);
  return { reports: page.assets, retention: [{ deleted }], redactions: [{ counts }], incomplete: new Set(page.next_cursor === null ? [] : ["asset_cap"]) };
}

/**
 * The first METRICS_OPERATOR_TENANTS tenants (in id order), METRICS_OPERATOR_ASSETS_PER_TENANT
 * assets each, tenant-labelled. A tenant whose object fails is left out and flagged, so one
 * unavailable object does not fail the whole scrape.
 */
export async function operatorReports(env: Env): Promise<Reports> {
  const listed = await env.TENANT_DIRECTORY.getByName(DIRECTORY_OBJECT_NAME).list(METRICS_OPERATOR_TENANTS);
  const incomplete = new Set<Incompleteness>(listed.next_cursor === null ? [] : ["tenant_cap"]);
  const tenants = listed.tenants.map((t) => t.tenant_id);
  const pages: AssetReport[][] = new Array(tenants.length);
  const retention: (RetentionTotals | null)[] = new Array(tenants.length).fill(null);
  const redactions: RedactionTotals[] = [];
  let next = 0;
  const worker = async () => {
    while (next < tenants.length) {
      const i = next++;
      const tenant = tenants[i]!;
      try {
        const stub = env.TENANT.getByName(tenantObjectName(tenant));
        const [page, deleted, counts] = await Promise.all([stub.assetMetrics(METRICS_OPERATOR_ASSETS_PER_TENANT), stub.retentionTotals(), stub.redactionTotals()]);
        if (page.next_cursor !== null) incomplete.add("asset_cap");
        pages[i] = page.assets.map((a) => ({ tenant, asset: a.asset, metrics: a.metrics }));
        retention[i] = { tenant, deleted };
        redactions.push({ tenant, counts });
      } catch (e) {
        log.warn("MetricsTenantUnavailable", { tenant, error: String((e as Error).message ?? e) });
        incomplete.add("tenant_unavailable");
        pages[i] = [];
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(METRICS_FETCH_CONCURRENCY, tenants.length) }, worker));
  return { reports: pages.flat(), retention: retention.filter((r) => r !== null), redactions: redactions.sort((a, b) => (a.tenant! < b.tenant! ? -1 : 1)), incomplete };
}
