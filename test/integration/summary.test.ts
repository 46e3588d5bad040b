import { describe, expect, it } from "vitest";
import azureDiagnostic from "../fixtures/samples/azure-diagnostic-records.json?raw";
import { createKey, createTenant, expectProblem, getWithKey, post, tenantWithKey } from "../fixtures/bridge.ts";

async function summaryOf(key: string, asset: string, query = "") {
  const res = await getWithKey(`/v1/assets/${asset}/summary${query}`, key);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as any;
}

function ndjson(records: unknown[]): string {
  return records.map((r) => JSON.stringify(r)).join("\n");
}

describe("GET /v1/assets/{asset}/summary", () => {
  it("reproduces the FixOps connector vectors through ingest (AWS, Azure, Cloud Armor)", async () => {
    const key = await tenantWithKey("sum-vectors");
    const cases: [string, unknown[], { count: number; p95: number | null }][] = [
      ["aws", [["BLOCK", 125], ["BLOCK", 89], ["ALLOW", 15], ["BLOCK", 200]].map(([action, latency_ms]) => ({ action, latency_ms })), { count: 3, p95: 200 }],
      ["allow", [{ action: "ALLOW", latency_ms: 15 }], { count: 0, p95: 15 }],
      ["nolatency", [{ action: "BLOCK" }], { count: 1, p95: null }],
      ["azure", [["Blocked", 142], ["Blocked", 98], ["Allowed", 25], ["Block", 200]].map(([action, latency_ms]) => ({ properties: { action, latency_ms } })), { count: 3, p95: 200 }],
      ["armor", [["DENY", "0.156s"], ["DENY", "0.098s"], ["ALLOW", "0.025s"], ["deny", "0.200s"]].map(([outcome, latency]) => ({ jsonPayload: { enforcedSecurityPolicy: { outcome } }, httpRequest: { latency } })), { count: 3, p95: 200 }],
    ];
    for (const [asset, records, want] of cases) {
      const res = await post("/v1/logs", key, ndjson(records), { "Content-Type": "application/x-ndjson", "X-Asset-Id": asset });
      expect(res.status, asset).toBe(200);
      const s = await summaryOf(key, asset);
      expect(s.ops_summary, asset).toEqual({ alerts: [{ rule: "waf-blocks", count: want.count }], latency_ms_p95: want.p95 });
      expect(s.events, asset).toBe(records.length);
    }
  });

  it("returns totals, per-level counts, percentiles, rule counts and a per-minute series", async () => {
    const key = await tenantWithKey("sum-shape");
    const records = [
      { level: "error", latency_ms: 10, action: "BLOCK" },
      { level: "warn", latency_ms: 20 },
      { level: "info", latency_ms: 30 },
      { level: "info" },
      { msg: "no level" },
    ];
    expect((await post("/v1/logs", key, JSON.stringify(records), { "X-Asset-Id": "web" })).status).toBe(200);
    const s = await summaryOf(key, "web", "?since=600");
    expect(s).toMatchObject({
      asset: "web",
      events: 5,
      levels: { ERROR: 1, WARN: 1, INFO: 2, NONE: 1 },
      latency: { count: 3, p50_ms: 20, p95_ms: 30, p99_ms: 30, max_ms: 30 },
      counts: { "waf-blocks": 1 },
      step_seconds: 60,
      ops_summary: { alerts: [{ rule: "waf-blocks", count: 1 }], latency_ms_p95: 30 },
    });
    expect(s.series).toHaveLength(1);
    expect(s.series[0]).toMatchObject({ events: 5, latency_p95_ms: 30 });
    expect(Date.parse(s.series[0].at) % 60_000).toBe(0);
  });

  it("uses the tenant's counting rules and latency paths", async () => {
    const key = await tenantWithKey("sum-rules", {
      counting_rules: [{ name: "auth-failures", fields: ["event.outcome"], values: ["failure"] }],
      latency_fields: ["timing.ms"],
    });
    const records = [{ event: { outcome: "failure" }, timing: { ms: 42 } }, { event: { outcome: "success" }, timing: { ms: 7 } }];
    expect((await post("/v1/logs", key, JSON.stringify(records), { "X-Asset-Id": "idp" })).status).toBe(200);
    expect((await summaryOf(key, "idp")).ops_summary).toEqual({ alerts: [{ rule: "auth-failures", count: 1 }], latency_ms_p95: 42 });
  });

  it("is empty for a window without events, and for an asset never seen", async () => {
    const key = await tenantWithKey("sum-empty");
    expect((await post("/v1/logs", key, JSON.stringify({ action: "BLOCK" }), { "X-Asset-Id": "a" })).status).toBe(200);
    const past = await summaryOf(key, "a", "?since=2020-01-01T00:00:00Z&until=2020-01-01T01:00:00Z");
    expect(past).toMatchObject({ events: 0, series: [], ops_summary: { alerts: [{ rule: "waf-blocks", count: 0 }], latency_ms_p95: null } });
    expect((await summaryOf(key, "never-seen")).events).toBe(0);
  });

  it("rejects bad windows and keys without read, and keeps tenants apart", async () => {
    const key = await tenantWithKey("sum-bad");
    await expectProblem(await getWithKey("/v1/assets/a/summary?since=yesterday", key), 400);
    await expectProblem(await getWithKey("/v1/assets/a/summary?since=60&until=120", key), 400);
    await expectProblem(await getWithKey("/v1/assets/a/summary?since=99999999", key), 400);
    await createTenant("sum-ingest-only");
    const ingestOnly = await createKey("sum-ingest-only", ["ingest"]);
    await expectProblem(await getWithKey("/v1/assets/a/summary", ingestOnly), 403);
    expect((await post("/v1/logs", key, JSON.stringify({ action: "BLOCK" }), { "X-Asset-Id": "shared-name" })).status).toBe(200);
    const other = await tenantWithKey("sum-other");
    expect((await summaryOf(other, "shared-name")).events).toBe(0);
  });

  it("counts the Azure WAF sample's blocks under the default rule", async () => {
    const key = await tenantWithKey("sum-samples");
    const records = (JSON.parse(azureDiagnostic) as { records: { properties?: { action?: string } }[] }).records;
    const blocked = records.filter((r) => /^(block|blocked|deny)$/i.test(r.properties?.action ?? "")).length;
    expect((await post("/v1/ingest/azure/eventhub", key, azureDiagnostic)).status).toBe(200);
    const s = await summaryOf(key, "PROD-WAF");
    expect(s.events).toBe(records.length);
    expect(s.ops_summary.alerts).toEqual([{ rule: "waf-blocks", count: blocked }]);
  });
});
