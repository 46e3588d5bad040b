/** Per-isolate series: tenant views, histogram bucketing, stored events by source, per-asset families. */
import { describe, expect, it } from "vitest";
import { decodeAssetMetrics, type AssetMetrics } from "../../shared/asset-metrics.ts";
import { METRICS_MAX_TENANTS_PER_ISOLATE } from "../../shared/limits.ts";
import { acceptedBySource } from "../../workers/metrics/accepted-by-source.ts";
import { assetFamilies, incompleteFamily } from "../../workers/metrics/asset-families.ts";
import { renderExposition } from "../../workers/metrics/exposition.ts";
import { Counter, Histogram, OVERFLOW_TENANT } from "../../workers/metrics/registry.ts";

describe("Counter views", () => {
  const counter = () => {
    const c = new Counter("req_total", "Requests.", ["route"]);
    c.inc("acme", ["/a"], 2);
    c.inc("acme", ["/b"]);
    c.inc("globex", ["/a"], 5);
    c.inc(undefined, ["/a"]);
    return c;
  };

  it("a tenant sees only its own series, without a tenant label", () => {
    expect(counter().family({ kind: "tenant", tenant: "acme" }).samples).toEqual([
      { labels: { route: "/a" }, value: 2 }, { labels: { route: "/b" }, value: 1 },
    ]);
    expect(counter().family({ kind: "tenant", tenant: "initech" }).samples).toEqual([]);
  });

  it("the operator sees every series, tenant-labelled where a tenant is known", () => {
    expect(counter().family({ kind: "operator" }).samples).toEqual([
      { labels: { tenant: "acme", route: "/a" }, value: 2 }, { labels: { tenant: "acme", route: "/b" }, value: 1 },
      { labels: { tenant: "globex", route: "/a" }, value: 5 }, { labels: { route: "/a" }, value: 1 },
    ]);
  });

  it("the public view sums over tenants and names none", () => {
    expect(counter().family({ kind: "public" }).samples).toEqual([{ labels: { route: "/a" }, value: 8 }, { labels: { route: "/b" }, value: 1 }]);
  });

  it("never goes down, and needs one value per label", () => {
    expect(() => counter().inc("acme", ["/a"], -1)).toThrow();
    expect(() => counter().inc("acme", [])).toThrow();
  });

  it("keeps a bounded number of tenants per isolate; later ones share one overflow series", () => {
    const c = new Counter("t_total", "T.", []);
    for (let i = 0; i < METRICS_MAX_TENANTS_PER_ISOLATE + 5; i++) c.inc(`t${i}`, []);
    const samples = c.family({ kind: "operator" }).samples;
    expect(samples).toHaveLength(METRICS_MAX_TENANTS_PER_ISOLATE + 1);
    expect(samples.at(-1)).toEqual({ labels: { tenant: OVERFLOW_TENANT }, value: 5 });
  });
});

describe("Histogram", () => {
  it("puts each value in the first bucket whose bound is >= it; values above the last only in the count", () => {
    const h = new Histogram("d_seconds", "D.", ["route"], [0.1, 1]);
    for (const v of [0.1, 0.05, 0.5, 7]) h.observe("acme", ["/a"], v);
    h.observe("globex", ["/a"], 0.2);
    const [mine] = h.family({ kind: "tenant", tenant: "acme" }).samples;
    expect(mine).toEqual({ labels: { route: "/a" }, buckets: [2, 1], sum: 7.65, count: 4 });
    expect(h.family({ kind: "public" }).samples[0]).toMatchObject({ buckets: [2, 2], count: 5 });
    expect(renderExposition([h.family({ kind: "public" })])).toContain('d_seconds_bucket{route="/a",le="+Inf"} 5\n');
  });
});

describe("acceptedBySource", () => {
  it("attributes each asset's accepted count to its first events, in request order", () => {
    const events = [
      { asset: "a", source: "azure.eventhub" }, { asset: "b", source: "azure.eventgrid" },
      { asset: "a", source: "azure.eventgrid" }, { asset: "a", source: "azure.eventhub" }, { asset: "b", source: "azure.eventgrid" },
    ] as const;
    // Asset a stored its first two events before a slice failed; asset b failed outright.
    const counts = acceptedBySource({ events, outcomes: [{ asset: "a", accepted: 2 }, { asset: "b", accepted: 0 }] });
    expect(Object.fromEntries(counts)).toEqual({ "azure.eventhub": 1, "azure.eventgrid": 1 });
  });

  it("all stored: one source counts every event, mixed sources count each", () => {
    const one = [{ asset: "a", source: "http" }, { asset: "b", source: "http" }] as const;
    expect(Object.fromEntries(acceptedBySource({ events: one, outcomes: [{ asset: "a", accepted: 1 }, { asset: "b", accepted: 1 }] }))).toEqual({ http: 2 });
    const mixed = [{ asset: "a", source: "http" }, { asset: "a", source: "otlp" }] as const;
    expect(Object.fromEntries(acceptedBySource({ events: mixed, outcomes: [{ asset: "a", accepted: 2 }] }))).toEqual({ http: 1, otlp: 1 });
    expect(acceptedBySource({ events: [], outcomes: [] }).size).toBe(0);
  });
});

const METRICS: AssetMetrics = {
  ring_buffer_size: 42, ring_buffer_evictions_total: 7, evidence_bundles_generated_total: 3,
  forward_attempts_total: { success: 10, failure: 2, dlq: 1 }, forward_dlq_depth: 1,
  alerts_fired_total: { "waf-blocks": 4 },  evidence_uploads_pending: 1, raw_spill_segments_total: 5, raw_spill_dropped_total: 0,
};

describe("decodeAssetMetrics", () => {
  it("returns a clean copy, or null when a number is missing, negative or not finite", () => {
    const copy = decodeAssetMetrics({ ...METRICS, extra: "ignored" });
    expect(copy).toEqual(METRICS);
    expect(copy).not.toBe(METRICS);
    expect(decodeAssetMetrics({ ...METRICS, ring_buffer_size: -1 })).toBeNull();
    expect(decodeAssetMetrics({ ...METRICS, forward_dlq_depth: Infinity })).toBeNull();
    expect(decodeAssetMetrics({ ...METRICS, forward_attempts_total: { success: 1, failure: 1 } })).toBeNull();
    expect(decodeAssetMetrics({ ...METRICS, alerts_fired_total: { r: "1" } })).toBeNull();
    expect(decodeAssetMetrics("{}")).toBeNull();
    // Members added later: absent in an older report reads as 0; present, they must be counts.
    const { evidence_uploads_pending: _p, raw_spill_segments_total: _s, raw_spill_dropped_total: _d, ...older } = METRICS;
    expect(decodeAssetMetrics(older)).toMatchObject({ evidence_uploads_pending: 0, raw_spill_segments_total: 0, raw_spill_dropped_total: 0 });
    expect(decodeAssetMetrics({ ...METRICS, raw_spill_dropped_total: -2 })).toBeNull();
  });

  it("keeps rule names as own keys (even __proto__) and drops empty or overlong ones", () => {
    const alerts = JSON.parse('{"__proto__": 2, "": 1, "ok": 3}') as Record<string, number>;
    alerts["x".repeat(200)] = 1;
    const decoded = decodeAssetMetrics({ ...METRICS, alerts_fired_total: alerts })!;
    expect(Object.entries(decoded.alerts_fired_total)).toEqual([["__proto__", 2], ["ok", 3]]);
  });
});

describe("assetFamilies", () => {
  it("one family per AssetMetrics member, labelled by asset (and tenant when given), with forward results and rules", () => {
    const text = renderExposition([...assetFamilies([{ asset: "pump-1", metrics: METRICS }, { tenant: "acme", asset: "pump-2", metrics: METRICS }]), incompleteFamily(["asset_cap"], new Set())]);
    for (const line of [
      "# TYPE ring_buffer_size gauge", 'ring_buffer_size{asset="pump-1"} 42',
      "# TYPE ring_buffer_evictions_total counter", 'ring_buffer_evictions_total{asset="pump-1"} 7',
      'evidence_bundles_generated_total{asset="pump-1"} 3',
      'forward_attempts_total{asset="pump-1",result="success"} 10', 'forward_attempts_total{asset="pump-1",result="dlq"} 1',
      "# TYPE forward_dlq_depth gauge", 'forward_dlq_depth{asset="pump-1"} 1',
      'alerts_fired_total{asset="pump-1",rule="waf-blocks"} 4',
      'ring_buffer_size{tenant="acme",asset="pump-2"} 42',
      'telemetry_metrics_incomplete{reason="asset_cap"} 0',
    ]) expect(text.split("\n")).toContain(line);
  });
});
