/**
 * Retention for one tenant, phase by phase from where the last run stopped: evidence and raw
 * objects in the tenant's store; the same prefixes in the deployment's R2 bucket when the
 * tenant's store is elsewhere (bundles written before a store change stay there); then the
 * rollups of each asset. Records what it deleted with the Tenant (counters and audit).
 */
import { effectiveRetention, type TenantConfig } from "../../shared/config.ts";
import { countsTotal, zeroCounts, type RetentionCounts } from "../../shared/retention.ts";
import type { EvidenceStore } from "../../shared/storage/evidence-store.ts";
import { R2Store } from "../../shared/storage/r2-store.ts";
import { evidenceStoreFor, storeDeps } from "../../shared/storage/store-for.ts";
import { tenantObjectName, type Env } from "../../durable-objects/env.ts";
import { log } from "../log.ts";
import { sweepAssets } from "./asset-sweep.ts";
import type { RetentionBudget } from "./budget.ts";
import type { Failures } from "./failures.ts";
import type { StoreClass } from "./object-age.ts";
import { sweepStore } from "./store-sweep.ts";

const DAY_MS = 86_400_000;

/** The phases of a tenant, in order. `:r2` phases run only when the tenant's store is not R2. */
export const PHASES = ["evidence", "raw", "evidence:r2", "raw:r2", "summary"] as const;
export type Phase = (typeof PHASES)[number];

/** Where a tenant's retention stands: the phase and its cursor (a store's listing cursor, or the last asset). */
export interface TenantPoint {
  phase: Phase;
  cursor: string | null;
}

export interface TenantSweep {
  deleted: RetentionCounts;
  failed: RetentionCounts;
  /** Set when the run's budget stopped this tenant: where the next run resumes. */
  stopped: TenantPoint | null;
}

export interface SweepContext {
  env: Env;
  nowMs: number;
  actor: string;
  budget: RetentionBudget;
  failures: Failures;
}

export async function sweepTenant(cx: SweepContext, tenant: string, from: TenantPoint | null): Promise<TenantSweep> {
  const out: TenantSweep = { deleted: zeroCounts(), failed: zeroCounts(), stopped: null };
  const stub = cx.env.TENANT.getByName(tenantObjectName(tenant));
  let config: TenantConfig;
  try {
    const got = await stub.get();
    if (!got.ok) return out;
    config = got.value.config;
  } catch (e) {
    // Skipped this sweep; the next sweep reaches the tenant again.
    cx.failures.add({ tenant, class: null, step: "tenant", reason: "other", detail: String((e as Error).message ?? e) });
    return out;
  }
  const days = effectiveRetention(cx.env, config);
  const deps = storeDeps(cx.env);
  const built = evidenceStoreFor(config.evidence_store, deps);
  const r2: EvidenceStore = new R2Store(deps.r2, deps.r2BucketName);
  const tenantOnR2 = !config.evidence_store || config.evidence_store.provider === "r2";
  if (!built.ok && (from === null || from.phase === "evidence" || from.phase === "raw")) {
    cx.failures.add({ tenant, class: "evidence", step: "config", reason: "config", detail: built.error.detail });
  }
  const storeFor = (phase: Phase): EvidenceStore | null => (phase.endsWith(":r2") ? (tenantOnR2 ? null : r2) : built.ok ? built.value : null);

  for (let i = from ? PHASES.indexOf(from.phase) : 0; i < PHASES.length; i++) {
    const phase = PHASES[i]!;
    const cursor = from?.phase === phase ? from.cursor : null;
    if (phase === "summary") {
      const r = await sweepAssets(cx.env, tenant, config, cx.nowMs, cursor, cx.budget, cx.failures);
      out.deleted.summary += r.deleted;
      out.failed.summary += r.failed;
      if (!r.done) out.stopped = { phase, cursor: r.cursor };
      break;
    }
    const store = storeFor(phase);
    if (!store) continue;
    const cls = phase.replace(":r2", "") as StoreClass;
    const r = await sweepStore(store, cls, tenant, cx.nowMs - days[cls] * DAY_MS, cursor, cx.budget, cx.failures);
    out.deleted[cls] += r.deleted;
    out.failed[cls] += r.failed;
    if (!r.done) {
      out.stopped = { phase, cursor: r.cursor };
      break;
    }
  }

  if (countsTotal(out.deleted) > 0) {
    await stub.recordRetention(out.deleted, {
      as_of: new Date(cx.nowMs).toISOString(), retention_days: days,
      ...(countsTotal(out.failed) > 0 ? { failed: out.failed } : {}),
      ...(out.stopped ? { continues: true } : {}),
    }, cx.actor);
  }
  if (countsTotal(out.deleted) + countsTotal(out.failed) > 0) {
    log.info("RetentionTenantSwept", { tenant, actor: cx.actor, ...prefixed("deleted_", out.deleted), ...prefixed("failed_", out.failed), continues: out.stopped !== null });
  }
  return out;
}

function prefixed(p: string, c: RetentionCounts): Record<string, number> {
  return { [`${p}evidence`]: c.evidence, [`${p}raw`]: c.raw, [`${p}summary`]: c.summary };
}
