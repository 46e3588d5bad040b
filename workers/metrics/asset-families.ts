/**
 * The per-asset series, from the AssetMetrics each AssetLog last reported to its tenant's
 * index. Pure: the caller fetches the reports.
 */
import { EXPORT_RESULTS, FORWARD_RESULTS, type AssetMetrics } from "../../shared/asset-metrics.ts";
import type { Labels, MetricFamily, ScalarFamily } from "./exposition.ts";

export interface AssetReport {
  /** Set for the operator's view (many tenants); omitted for a tenant's own. */
  tenant?: string;
  asset: string;
  metrics: AssetMetrics;
}

type Pick = (m: AssetMetrics, base: Labels) => { labels: Labels; value: number }[];

const FAMILIES: { type: "counter" | "gauge"; name: string; help: string; pick: Pick }[] = [
  { type: "gauge", name: "ring_buffer_size", help: "Events in the asset's ring buffer, as last reported.", pick: (m, base) => [{ labels: base, value: m.ring_buffer_size }] },
  { type: "counter", name: "ring_buffer_evictions_total", help: "Events evicted from the asset's ring buffer by its count or age bound.", pick: (m, base) => [{ labels: base, value: m.ring_buffer_evictions_total }] },
  { type: "counter", name: "evidence_bundles_generated_total", help: "Evidence bundles sealed for the asset.", pick: (m, base) => [{ labels: base, value: m.evidence_bundles_generated_total }] },
  {
    type: "counter", name: "forward_attempts_total", help: "Attempts to forward the asset's ops-telemetry summary to FixOps, by result.",
    pick: (m, base) => FORWARD_RESULTS.map((result) => ({ labels: { ...base, result }, value: m.forward_attempts_total[result] })),
  },
  { type: "gauge", name: "forward_dlq_depth", help: "Summaries waiting in the asset's forwarding dead-letter queue.", pick: (m, base) => [{ labels: base, value: m.forward_dlq_depth }] },
  {
    type: "counter", name: "alerts_fired_total", help: "Alerts fired for the asset, by rule.",
    pick: (m, base) => Object.entries(m.alerts_fired_total).map(([rule, value]) => ({ labels: { ...base, rule }, value })),
  },  { type: "gauge", name: "evidence_uploads_pending", help: "Evidence bundles sealed but not yet stored (retried by the asset).", pick: (m, base) => [{ labels: base, value: m.evidence_uploads_pending }] },
  { type: "counter", name: "raw_spill_segments_total", help: "Raw segments written to the store as lines left the ring buffer.", pick: (m, base) => [{ labels: base, value: m.raw_spill_segments_total }] },
  {
    type: "counter", name: "export_events_total", help: "Events exported per destination: sent, dead-lettered, or skipped (evicted before they were queued).",
    pick: (m, base) => Object.entries(m.export_events_total ?? {}).flatMap(([destination, r]) =>
      EXPORT_RESULTS.map((result) => ({ labels: { ...base, destination, result }, value: r[result] }))),
  },
  { type: "counter", name: "raw_spill_dropped_total", help: "Lines let go unspilled after the store failed for too long.", pick: (m, base) => [{ labels: base, value: m.raw_spill_dropped_total }] },
];

export function assetFamilies(reports: readonly AssetReport[]): MetricFamily[] {
  return FAMILIES.map(({ type, name, help, pick }): ScalarFamily => ({
    type, name, help,
    samples: reports.flatMap((r) => pick(r.metrics, r.tenant === undefined ? { asset: r.asset } : { tenant: r.tenant, asset: r.asset })),
  }));
}

/** Why a scrape's asset series are incomplete: the caps of docs/metrics.md, or a tenant that did not answer. */
export type Incompleteness = "tenant_cap" | "asset_cap" | "tenant_unavailable";

/** 1 for each reason that applies to this scrape, 0 for the others that could. */
export function incompleteFamily(possible: readonly Incompleteness[], applies: ReadonlySet<Incompleteness>): ScalarFamily {
  return {
    type: "gauge", name: "telemetry_metrics_incomplete",
    help: "1 when this scrape's per-asset series leave some out, by reason (see docs/metrics.md for the caps).",
    samples: possible.map((reason) => ({ labels: { reason }, value: applies.has(reason) ? 1 : 0 })),
  };
}
