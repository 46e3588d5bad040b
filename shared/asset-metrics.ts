/**
 * AssetMetrics: the counters and gauges an AssetLog reports to its tenant's asset index
 * (with `Tenant.touchAsset`), which `GET /metrics` exposes per asset. Absolute values as of
 * the report, never deltas, so a lost or repeated report does no harm.
 */
import { METRICS_MAX_ALERT_RULES, METRICS_MAX_RULE_NAME_LENGTH } from "./limits.ts";

export const FORWARD_RESULTS = ["success", "failure", "dlq"] as const;
export type ForwardResult = (typeof FORWARD_RESULTS)[number];

export interface AssetMetrics {
  /** Events in the ring buffer now (gauge). */
  ring_buffer_size: number;
  /** Events evicted by the count or age bound since the asset began (counter). */
  ring_buffer_evictions_total: number;
  evidence_bundles_generated_total: number;
  /** FixOps forwarding attempts by outcome (counters). */
  forward_attempts_total: Record<ForwardResult, number>;
  /** Payloads waiting in the forwarding DLQ now (gauge). */
  forward_dlq_depth: number;
  /** Alerts fired per rule name (counters). */
  alerts_fired_total: Record<string, number>;
  /** Bundles sealed but not yet in the store (gauge; retried by the asset). */
  evidence_uploads_pending: number;
  /** Raw spill: segments written, and lines let go after the store failed too long (counters). */
  raw_spill_segments_total: number;
  raw_spill_dropped_total: number;
  /** Export events per destination and result (counters); absent in older reports. */
  export_events_total?: Record<string, Record<ExportResult, number>>;
}

export const EXPORT_RESULTS = ["sent", "dlq", "skipped"] as const;
export type ExportResult = (typeof EXPORT_RESULTS)[number];

/** Members added after the first reports: absent in an older report means 0. */
const LATER_SCALARS = ["evidence_uploads_pending", "raw_spill_segments_total", "raw_spill_dropped_total"] as const;

const SCALARS = ["ring_buffer_size", "ring_buffer_evictions_total", "evidence_bundles_generated_total", "forward_dlq_depth"] as const;

const count = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A clean copy of a reported AssetMetrics, or null when any member is missing or is not a
 * finite number >= 0. Alert rules beyond METRICS_MAX_ALERT_RULES (in key order) and rule
 * names longer than METRICS_MAX_RULE_NAME_LENGTH are dropped: they become label values.
 */
export function decodeAssetMetrics(u: unknown): AssetMetrics | null {
  if (!isObject(u)) return null;
  const forward = u.forward_attempts_total;
  const alerts = u.alerts_fired_total;
  if (!isObject(forward) || !isObject(alerts)) return null;
  if (!SCALARS.every((k) => count(u[k])) || !FORWARD_RESULTS.every((r) => count(forward[r]))) return null;
  if (!LATER_SCALARS.every((k) => u[k] === undefined || count(u[k]))) return null;
  let exports: Record<string, Record<ExportResult, number>> | undefined;
  if (u.export_events_total !== undefined) {
    if (!isObject(u.export_events_total)) return null;
    const entries: [string, Record<ExportResult, number>][] = [];
    for (const [name, v] of Object.entries(u.export_events_total)) {
      if (!isObject(v) || !EXPORT_RESULTS.every((r) => count(v[r]))) return null;
      if (name.length > 0 && name.length <= METRICS_MAX_RULE_NAME_LENGTH && entries.length < 5) entries.push([name, { sent: v.sent as number, dlq: v.dlq as number, skipped: v.skipped as number }]);
    }
    exports = Object.fromEntries(entries);
  }
  const fired: [string, number][] = [];
  for (const [rule, n] of Object.entries(alerts)) {
    if (!count(n)) return null;
    if (rule.length > 0 && rule.length <= METRICS_MAX_RULE_NAME_LENGTH && fired.length < METRICS_MAX_ALERT_RULES) fired.push([rule, n]);
  }
  return {
    ring_buffer_size: u.ring_buffer_size as number,
    ring_buffer_evictions_total: u.ring_buffer_evictions_total as number,
    evidence_bundles_generated_total: u.evidence_bundles_generated_total as number,
    forward_attempts_total: { success: forward.success as number, failure: forward.failure as number, dlq: forward.dlq as number },
    forward_dlq_depth: u.forward_dlq_depth as number,
    // fromEntries defines own properties, so even a rule named "__proto__" stays a plain key.
    alerts_fired_total: Object.fromEntries(fired),
    evidence_uploads_pending: (u.evidence_uploads_pending as number | undefined) ?? 0,
    raw_spill_segments_total: (u.raw_spill_segments_total as number | undefined) ?? 0,
    raw_spill_dropped_total: (u.raw_spill_dropped_total as number | undefined) ?? 0,
    ...(exports ? { export_events_total: exports } : {}),
  };
}
