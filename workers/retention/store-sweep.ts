/**
 * One class of one tenant in one store: page through the objects under the tenant's prefix
 * from a cursor, delete those past retention, stop when the run's budget is spent. Idempotent:
 * a deleted key is gone from the next listing, and deleting it again counts as done.
 */
import { StoreFailure, type EvidenceStore } from "../../shared/storage/evidence-store.ts";
import type { RetentionBudget } from "./budget.ts";
import type { Failures } from "./failures.ts";
import { deletionGroup, isExpired, type StoreClass } from "./object-age.ts";

export interface StoreSweep {
  deleted: number;
  failed: number;
  /** Finished the listing (or gave it up after a list failure): the next run starts it afresh. */
  done: boolean;
  /** Where to go on next run when not done: the cursor of the page to list (null: the first). */
  cursor: string | null;
}

/** The tenant's prefix of a class: `evidence/<tenant>/`, `raw/<tenant>/` (the slash keeps `acme` off `acme-2`). */
export function classPrefix(cls: StoreClass, tenant: string): string {
  return `${cls}/${tenant}/`;
}

export async function sweepStore(
  store: EvidenceStore, cls: StoreClass, tenant: string, cutoffMs: number,
  from: string | null, budget: RetentionBudget, failures: Failures,
): Promise<StoreSweep> {
  const out: StoreSweep = { deleted: 0, failed: 0, done: false, cursor: from };
  for (;;) {
    if (!budget.take("listPages")) return out;
    let page: Awaited<ReturnType<EvidenceStore["list"]>>;
    try {
      page = await store.list(classPrefix(cls, tenant), out.cursor ?? undefined);
    } catch (e) {
      // The cursor may be what failed (stores may expire them): start this class afresh next run.
      const reason = e instanceof StoreFailure ? e.reason : "other";
      failures.add({ tenant, class: cls, step: "list", reason, detail: String((e as Error).message ?? e) });
      return { ...out, done: true, cursor: null };
    }
    const expired = page.objects.filter((o) => isExpired(cls, o, cutoffMs)).map((o) => o.key);
    const keys = budget.deletable(store.provider, expired, (k) => deletionGroup(cls, k));
    if (keys.length) {
      const report = await store.delete(keys);
      out.deleted += report.deleted;
      out.failed += report.failed.length;
      // Locked or refused keys are reported and left; the next run (a new listing) tries them again.
      for (const f of report.failed) failures.add({ tenant, class: cls, step: "delete", reason: f.reason, detail: f.detail });
    }
    // Some expired keys left for lack of budget: list this same page again next run.
    if (keys.length < expired.length) return out;
    if (!page.cursor) return { ...out, done: true, cursor: null };
    out.cursor = page.cursor;
  }
}
