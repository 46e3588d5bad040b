/**
 * `retention_deleted_total{class}`: what the retention pass deleted, from the totals each
 * Tenant keeps (so the same whichever isolate answers). Pure: the caller fetches the totals.
 */
import { RETENTION_CLASSES, type RetentionCounts } from "../../shared/retention.ts";
import type { Labels, ScalarFamily } from "./exposition.ts";

export interface RetentionTotals {
  /** Set for the operator's view (many tenants); omitted for a tenant's own. */
  tenant?: string;
  deleted: RetentionCounts;
}

export function retentionFamily(reports: readonly RetentionTotals[]): ScalarFamily {
  return {
    type: "counter", name: "retention_deleted_total",
    help: "Deleted by the retention pass, by class: evidence objects, raw segment objects, summary rollup minutes.",
    samples: reports.flatMap((r) => RETENTION_CLASSES.map((cls) => ({
      labels: (r.tenant === undefined ? { class: cls } : { tenant: r.tenant, class: cls }) as Labels,
      value: r.deleted[cls],
    }))),
  };
}
