/**
 * `GET /v1/assets/{asset}/summary`: rollups of a window merged into totals, per-level counts,
 * latency percentiles, per-rule counts, a per-minute series (coarsened to at most
 * SUMMARY_MAX_POINTS points) and the FixOps ops-telemetry summary of the window.
 */
import { latencySummary, opsSummary, Rollup, type LatencySummary, type OpsTelemetrySummary } from "../../shared/aggregates/rollup.ts";
import { MINUTE_MS, type RollupStore } from "./rollups.ts";

/** Series points returned at most; longer windows merge minutes into steps. */
export const SUMMARY_MAX_POINTS = 1440;

export interface SummaryQuery {
  /** Window start and end, epoch ms (receive time); minutes that start inside it count. */
  since: number;
  until: number;
}

export interface SeriesPoint {
  at: string;
  events: number;
  levels: Record<string, number>;
  counts: Record<string, number>;
  alerts: Record<string, number>;
  latency_p95_ms: number | null;
}

export interface AssetSummary {
  window: { since: string; until: string };
  events: number;
  levels: Record<string, number>;
  latency: LatencySummary;
  counts: Record<string, number>;
  alerts_fired: Record<string, number>;
  step_seconds: number;
  series: SeriesPoint[];
  ops_summary: OpsTelemetrySummary;
}

export function summarize(rollups: RollupStore | null, q: SummaryQuery, countingRules: readonly string[]): AssetSummary {
  const from = Math.ceil(q.since / MINUTE_MS) * MINUTE_MS;
  const minutes = Math.max(1, Math.ceil((q.until - from) / MINUTE_MS));
  const stepMinutes = Math.ceil(minutes / SUMMARY_MAX_POINTS);
  const step = stepMinutes * MINUTE_MS;
  const total = new Rollup();
  const series: SeriesPoint[] = [];
  let bucket: { at: number; r: Rollup } | null = null;
  const flush = () => {
    if (bucket) series.push(point(bucket.at, bucket.r));
  };
  for (const { minute, rollup } of rollups ? rollups.range(from, q.until) : []) {
    total.merge(rollup);
    const at = from + Math.floor((minute - from) / step) * step;
    if (!bucket || bucket.at !== at) {
      flush();
      bucket = { at, r: new Rollup() };
    }
    bucket.r.merge(rollup);
  }
  flush();
  return {
    window: { since: new Date(from).toISOString(), until: new Date(q.until).toISOString() },
    events: total.events,
    levels: total.levels,
    latency: latencySummary(total.latency),
    counts: Object.fromEntries(countingRules.map((r) => [r, total.counts[r] ?? 0])),
    alerts_fired: total.alerts,
    step_seconds: step / 1000,
    series,
    ops_summary: opsSummary(total, countingRules),
  };
}

function point(at: number, r: Rollup): SeriesPoint {
  const p95 = r.latency.quantile(0.95);
  return { at: new Date(at).toISOString(), events: r.events, levels: r.levels, counts: r.counts, alerts: r.alerts, latency_p95_ms: p95 };
}
