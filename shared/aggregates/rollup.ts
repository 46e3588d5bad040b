/**
 * Per-minute rollups (DESIGN.md section 5) and the summary merged from them, including
 * the FixOps ops-telemetry summary (a contract: {"alerts":[{"rule","count"}],"latency_ms_p95"}).
 */
import { LatencyDigest, type DigestJson } from "./latency-digest.ts";
import type { EventFacts } from "./event-facts.ts";

/** Events without a recognised level are counted under this key. */
export const NO_LEVEL = "NONE";

export interface RollupJson {
  events: number;
  levels: Record<string, number>;
  counts: Record<string, number>;
  alerts: Record<string, number>;
  latency: DigestJson;
}

export class Rollup {
  events = 0;
  levels: Record<string, number> = {};
  counts: Record<string, number> = {};
  /** Alerts fired, by rule. */
  alerts: Record<string, number> = {};
  latency = new LatencyDigest();

  add(f: EventFacts | undefined): void {
    this.events++;
    bump(this.levels, f?.level ?? NO_LEVEL, 1);
    if (f?.latency_ms !== undefined) this.latency.add(f.latency_ms);
    for (const c of f?.counts ?? []) bump(this.counts, c, 1);
  }

  merge(o: Rollup): void {
    this.events += o.events;
    for (const [k, v] of Object.entries(o.levels)) bump(this.levels, k, v);
    for (const [k, v] of Object.entries(o.counts)) bump(this.counts, k, v);
    for (const [k, v] of Object.entries(o.alerts)) bump(this.alerts, k, v);
    this.latency.merge(o.latency);
  }

  toJSON(): RollupJson {
    return { events: this.events, levels: this.levels, counts: this.counts, alerts: this.alerts, latency: this.latency.toJSON() };
  }

  static fromJSON(j: RollupJson): Rollup {
    const r = new Rollup();
    r.events = j.events;
    r.levels = { ...j.levels };
    r.counts = { ...j.counts };
    r.alerts = { ...(j.alerts ?? {}) };
    r.latency = LatencyDigest.fromJSON(j.latency);
    return r;
  }
}

export function bump(m: Record<string, number>, k: string, by: number): void {
  m[k] = (Object.hasOwn(m, k) ? m[k]! : 0) + by;
}

/** The FixOps ops-telemetry summary: one entry per counting rule (zero counts included), p95 as an integer. */
export interface OpsTelemetrySummary {
  alerts: { rule: string; count: number }[];
  latency_ms_p95: number | null;
}

export function opsSummary(r: Rollup, countingRules: readonly string[]): OpsTelemetrySummary {
  const p95 = r.latency.quantile(0.95);
  return {
    alerts: countingRules.map((rule) => ({ rule, count: Object.hasOwn(r.counts, rule) ? r.counts[rule]! : 0 })),
    latency_ms_p95: p95 === null ? null : Math.round(p95),
  };
}

export interface LatencySummary {
  count: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
}

export function latencySummary(d: LatencyDigest): LatencySummary {
  return {
    count: d.n,
    p50_ms: d.quantile(0.5),
    p95_ms: d.quantile(0.95),
    p99_ms: d.quantile(0.99),
    max_ms: d.n ? d.max : null,
  };
}
