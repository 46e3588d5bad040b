import { describe, expect, it } from "vitest";
import { compileRules, factsOf } from "../../shared/aggregates/event-facts.ts";
import { LatencyDigest } from "../../shared/aggregates/latency-digest.ts";
import { opsSummary, Rollup } from "../../shared/aggregates/rollup.ts";
import type { TelemetryEvent } from "../../shared/events.ts";
import { decodeTenantConfig } from "../../shared/tenant-config.ts";

function summaryOf(records: Record<string, unknown>[]) {
  const rules = compileRules(undefined);
  const r = new Rollup();
  for (const record of records) {
    const ev: TelemetryEvent = { ts: 0, asset: "a", source: "http", record };
    r.add(factsOf(ev, rules));
  }
  return opsSummary(r, rules.counting.map((c) => c.name));
}

describe("ops-telemetry summary: the FixOps connector vectors", () => {
  it("AWS WAF: BLOCK/125, BLOCK/89, ALLOW/15, BLOCK/200 -> 3, p95 200", () => {
    const recs = [["BLOCK", 125], ["BLOCK", 89], ["ALLOW", 15], ["BLOCK", 200]].map(([action, latency_ms]) => ({ action, latency_ms }));
    expect(summaryOf(recs)).toEqual({ alerts: [{ rule: "waf-blocks", count: 3 }], latency_ms_p95: 200 });
  });
  it("ALLOW/15 -> 0, 15", () => {
    expect(summaryOf([{ action: "ALLOW", latency_ms: 15 }])).toEqual({ alerts: [{ rule: "waf-blocks", count: 0 }], latency_ms_p95: 15 });
  });
  it("BLOCK with no latency -> 1, null", () => {
    expect(summaryOf([{ action: "BLOCK" }])).toEqual({ alerts: [{ rule: "waf-blocks", count: 1 }], latency_ms_p95: null });
  });
  it("Azure WAF: Blocked/142, Blocked/98, Allowed/25, Block/200 -> 3, 200", () => {
    const recs = [["Blocked", 142], ["Blocked", 98], ["Allowed", 25], ["Block", 200]].map(([action, latency_ms]) => ({ properties: { action, latency_ms } }));
    expect(summaryOf(recs)).toEqual({ alerts: [{ rule: "waf-blocks", count: 3 }], latency_ms_p95: 200 });
  });
  it("Cloud Armor: DENY/156, DENY/98, ALLOW/25, deny/200 -> 3, 200 (latency as jsonPayload.latency_ms or httpRequest.latency)", () => {
    const vec = [["DENY", 156], ["DENY", 98], ["ALLOW", 25], ["deny", 200]] as const;
    const a = vec.map(([outcome, latency_ms]) => ({ jsonPayload: { enforcedSecurityPolicy: { outcome }, latency_ms } }));
    const b = vec.map(([outcome, ms]) => ({ jsonPayload: { enforcedSecurityPolicy: { outcome } }, httpRequest: { latency: `${ms / 1000}s` } }));
    expect(summaryOf(a)).toEqual({ alerts: [{ rule: "waf-blocks", count: 3 }], latency_ms_p95: 200 });
    expect(summaryOf(b)).toEqual({ alerts: [{ rule: "waf-blocks", count: 3 }], latency_ms_p95: 200 });
  });
  it("a tenant's own counting rules and latency paths replace and extend the defaults", () => {
    const cfg = decodeTenantConfig({
      counting_rules: [{ name: "auth-failures", fields: ["event.outcome"], values: ["failure"] }],
      latency_fields: ["timing.total_ms"],
    });
    if (!cfg.ok) throw new Error(JSON.stringify(cfg.error));
    const rules = compileRules(cfg.value);
    const r = new Rollup();
    for (const record of [{ event: { outcome: "FAILURE" }, timing: { total_ms: 40 } }, { action: "BLOCK", latency_ms: 7 }]) {
      r.add(factsOf({ ts: 0, asset: "a", source: "http", record }, rules));
    }
    expect(opsSummary(r, rules.counting.map((c) => c.name))).toEqual({ alerts: [{ rule: "auth-failures", count: 1 }], latency_ms_p95: 40 });
  });
});

describe("LatencyDigest", () => {
  function exactRank(values: number[], q: number): number {
    const s = [...values].sort((a, b) => a - b);
    return s[Math.max(1, Math.ceil(q * s.length)) - 1]!;
  }

  it("is exact (nearest rank) while small", () => {
    const d = new LatencyDigest();
    for (const v of [125, 89, 15, 200]) d.add(v);
    expect([d.quantile(0.5), d.quantile(0.95), d.quantile(0.99)]).toEqual([89, 200, 200]);
  });

  it("stays within 1% relative error of the exact nearest-rank percentile when large, and merges like one digest", () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const values = Array.from({ length: 20_000 }, () => Math.round(Math.exp(rand() * 10) * 100) / 100);
    const whole = new LatencyDigest();
    const parts = Array.from({ length: 7 }, () => new LatencyDigest());
    values.forEach((v, i) => { whole.add(v); parts[i % 7]!.add(v); });
    const merged = new LatencyDigest();
    for (const p of parts) merged.merge(LatencyDigest.fromJSON(JSON.parse(JSON.stringify(p.toJSON()))));
    for (const q of [0.01, 0.5, 0.9, 0.95, 0.99, 1]) {
      const exact = exactRank(values, q);
      expect(Math.abs(whole.quantile(q)! - exact) / exact).toBeLessThanOrEqual(0.01);
      expect(merged.quantile(q)).toBeCloseTo(whole.quantile(q)!, 9);
    }
    expect(merged.n).toBe(values.length);
  });

  it("zero latencies and an empty digest", () => {
    const d = new LatencyDigest();
    expect(d.quantile(0.95)).toBeNull();
    for (let i = 0; i < 300; i++) d.add(0);
    expect(d.quantile(0.95)).toBe(0);
  });
});
