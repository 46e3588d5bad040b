/**
 * `telemetry_redactions_total{reason}`: what redaction profiles changed at ingest, from the
 * totals each Tenant keeps (so the same whichever isolate answers). Reasons: key_dropped,
 * key_hashed, not_allowed, truncated, a built-in pattern's name, or a custom pattern's name.
 * Pure: the caller fetches the totals.
 */
import type { Labels, ScalarFamily } from "./exposition.ts";

export interface RedactionTotals {
  /** Set for the operator's view (many tenants); omitted for a tenant's own. */
  tenant?: string;
  counts: Record<string, number>;
}

export function redactionFamily(reports: readonly RedactionTotals[]): ScalarFamily {
  return {
    type: "counter", name: "telemetry_redactions_total",
    help: "Values redacted at ingest before storage, by reason (docs/enrichment-and-redaction.md).",
    samples: reports.flatMap((r) => Object.entries(r.counts).map(([reason, value]) => ({
      labels: (r.tenant === undefined ? { reason } : { tenant: r.tenant, reason }) as Labels,
      value,
    }))),
  };
}
