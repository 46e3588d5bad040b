/** The window's totals and the FixOps ops-telemetry summary (GET /v1/assets/{asset}/summary). */
import { h } from "../dom.ts";
import { count, ms } from "../format.ts";
import type { SeriesPoint } from "./chart-model.ts";

export interface AssetSummary {
  window: { since: string; until: string };
  events: number;
  levels: Record<string, number>;
  latency: { count: number; p50_ms: number | null; p95_ms: number | null; p99_ms: number | null; max_ms: number | null };
  counts: Record<string, number>;
  alerts_fired: Record<string, number>;
  step_seconds: number;
  series: SeriesPoint[];
  ops_summary: { alerts: { rule: string; count: number }[]; latency_ms_p95: number | null };
}

function pairs(rec: Record<string, number>): string {
  const entries = Object.entries(rec).filter(([, n]) => n > 0);
  return entries.length ? entries.map(([k, n]) => `${k} ${count(n)}`).join(", ") : "none";
}

export function renderSummary(sum: AssetSummary): HTMLElement {
  const row = (term: string, value: string) => [h("dt", null, term), h("dd", null, value)];
  return h("div", { class: "summary" },
    h("dl", { class: "facts" },
      ...row("Events", count(sum.events)),
      ...row("Levels", pairs(sum.levels)),
      ...row("Latency", sum.latency.count
        ? `p50 ${ms(sum.latency.p50_ms)} · p95 ${ms(sum.latency.p95_ms)} · p99 ${ms(sum.latency.p99_ms)} · max ${ms(sum.latency.max_ms)} (${count(sum.latency.count)} samples)`
        : "no latencies"),
      ...row("Counting rules", pairs(sum.counts)),
      ...row("Alerts fired", pairs(sum.alerts_fired))),
    h("h4", null, "Ops-telemetry summary (what forwarding sends to FixOps)"),
    h("pre", { class: "json", tabindex: "0", "aria-label": "Ops-telemetry summary as JSON" }, JSON.stringify(sum.ops_summary, null, 2)));
}
