/**
 * Summary retention of one tenant: each of its AssetLogs (paged from the Tenant's asset index,
 * in id order from a cursor) drops the rollup minutes older than the tenant's summary days.
 */
import { assetRules } from "../../shared/asset-rules.ts";
import { effectiveRing, type TenantConfig } from "../../shared/config.ts";
import { RETENTION_ASSET_CONCURRENCY, RETENTION_PAGE_ENTRIES } from "../../shared/limits.ts";
import type { AssetRef } from "../../durable-objects/asset-log/asset-log.ts";
import { assetObjectName, tenantObjectName, type Env } from "../../durable-objects/env.ts";
import type { RetentionBudget } from "./budget.ts";
import type { Failures } from "./failures.ts";

export interface AssetSweep {
  /** Rollup minutes deleted. */
  deleted: number;
  failed: number;
  done: boolean;
  /** The last asset handled, when not done (the next run starts after it). */
  cursor: string | null;
}

export async function sweepAssets(
  env: Env, tenant: string, config: TenantConfig, nowMs: number,
  from: string | null, budget: RetentionBudget, failures: Failures,
): Promise<AssetSweep> {
  const out: AssetSweep = { deleted: 0, failed: 0, done: false, cursor: from };
  // The AssetRef an edge request would carry, so the object applies this tenant's summary days.
  const refOf = (asset: string): AssetRef => ({ tenant, asset, ring: effectiveRing(env, config), rules: assetRules(env, config) });
  const index = env.TENANT.getByName(tenantObjectName(tenant));
  for (;;) {
    const page = await index.assets(RETENTION_PAGE_ENTRIES, out.cursor ?? undefined);
    const granted = budget.takeUpTo("assets", page.assets.length);
    const batch = page.assets.slice(0, granted).map((a) => a.asset);
    const results = await mapBounded(batch, RETENTION_ASSET_CONCURRENCY, async (asset) => {
      try {
        return (await env.ASSET_LOG.getByName(assetObjectName(tenant, asset)).applyRetention(refOf(asset), nowMs)).rollups_deleted;
      } catch (e) {
        failures.add({ tenant, class: "summary", step: "asset", reason: "other", detail: `asset ${asset}: ${String((e as Error).message ?? e)}` });
        return null;
      }
    });
    for (const n of results) {
      if (n === null) out.failed++;
      else out.deleted += n;
    }
    if (batch.length) out.cursor = batch.at(-1)!;
    if (granted < page.assets.length) return out;
    if (page.next_cursor === null) return { ...out, done: true, cursor: null };
  }
}

async function mapBounded<T, R>(items: readonly T[], concurrency: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}
