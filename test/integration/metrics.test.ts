/** GET /metrics as Prometheus scrapes it: who sees what, per-isolate series, and asset series reported by AssetLogs. */
import { describe, expect, it } from "vitest";
import type { AssetMetrics } from "../../shared/asset-metrics.ts";
import { tenantObjectName } from "../../durable-objects/env.ts";
import { app } from "../../workers/app.ts";
import { ADMIN_TOKEN, admin, call, createKey, createTenant, env, expectProblem, getWithKey, post, secretOf } from "../fixtures/bridge.ts";

interface Sample { name: string; labels: Record<string, string>; value: number }

/** The samples of an exposition text (label values unescaped). */
function parse(text: string): Sample[] {
  return text.split("\n").filter((l) => l && !l.startsWith("#")).map((line) => {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[k!] = v!.replace(/\\(.)/g, (_, ch: string) => (ch === "n" ? "\n" : ch));
    }
    return { name: m[1]!, labels, value: Number(m[3]) };
  });
}

/** The value of the sample with exactly these labels, or undefined. */
function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  return parse(text).find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value;
}

async function scrape(credential?: string): Promise<string> {
  const res = await call("/metrics", credential ? { headers: { Authorization: `Bearer ${credential}` } } : {});
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return text;
}

const ndjson = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ i })).join("\n");
const sendLogs = (key: string, body: string, asset = "m") => post(`/v1/logs?asset=${asset}`, key, body, { "Content-Type": "application/x-ndjson" });
const hec = (key: string, body: string) => call("/services/collector/event", { method: "POST", headers: { Authorization: `Splunk ${key}` }, body });

async function tenantKeys(tenant: string, config?: unknown): Promise<{ key: string; scraper: string }> {
  await createTenant(tenant, config);
  return { key: await createKey(tenant, ["ingest", "read", "evidence"]), scraper: await createKey(tenant, ["metrics"]) };
}

const METRICS: AssetMetrics = {
  ring_buffer_size: 42, ring_buffer_evictions_total: 7, evidence_bundles_generated_total: 3,
  forward_attempts_total: { success: 10, failure: 2, dlq: 1 }, forward_dlq_depth: 1,
  alerts_fired_total: { "waf-blocks": 4, 'say "hi"\\now': 2 },  evidence_uploads_pending: 1, raw_spill_segments_total: 5, raw_spill_dropped_total: 0,
};

function touch(tenant: string, asset: string, last_seen: number, metrics?: AssetMetrics) {
  return env.TENANT.getByName(tenantObjectName(tenant)).touchAsset({ asset, first_seen: 1, last_seen, events_total: 1, ...(metrics ? { metrics } : {}) });
}

describe("GET /metrics access", () => {
  it("needs a credential (401), the metrics scope (403), and a valid key (401)", async () => {
    await createTenant("met-auth");
    const ingestOnly = await createKey("met-auth", ["ingest", "read", "evidence", "admin"]);
    await expectProblem(await call("/metrics"), 401);
    await expectProblem(await getWithKey("/metrics", ingestOnly), 403);
    await expectProblem(await getWithKey("/metrics", ingestOnly.slice(0, -2) + "zz"), 401);
    await expectProblem(await call("/metrics", { headers: { Authorization: "Bearer not-the-admin-token" } }), 401);
  });

  it("with METRICS_PUBLIC=true, answers without credentials with tenant-free series only; a bad key is still refused", async () => {
    const { key } = await tenantKeys("met-public");
    await sendLogs(key, ndjson(2), "public-secret-asset");
    await touch("met-public", "public-secret-asset", 10, METRICS);
    const publicEnv = Object.assign(Object.create(env) as typeof env, { METRICS_PUBLIC: "true" });
    const res = await app.request("/metrics", {}, publicEnv);
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(value(text, "telemetry_requests_total", { route: "/v1/logs", status_class: "2xx" })).toBeGreaterThanOrEqual(1);
    expect(value(text, "telemetry_events_ingested_total", { source: "http" })).toBeGreaterThanOrEqual(2);
    expect(text).not.toMatch(/tenant=|met-public|public-secret-asset|ring_buffer_size|alerts_fired_total/);
    await expectProblem(await app.request("/metrics", { headers: { Authorization: "Bearer tb_met-public_x_y" } }, publicEnv), 401);
  });
});

describe("per-isolate series", () => {
  it("counts requests by route pattern (never the raw path) and status class, with a latency histogram", async () => {
    const { key, scraper } = await tenantKeys("met-req");
    expect((await sendLogs(key, ndjson(1))).status).toBe(200);
    expect((await sendLogs(key, ndjson(1))).status).toBe(200);
    await expectProblem(await sendLogs(key, "{"), 400);
    expect((await getWithKey("/v1/assets/very-private-asset-name/bundles", key)).status).toBe(200);
    const text = await scrape(scraper);
    expect(value(text, "telemetry_requests_total", { route: "/v1/logs", status_class: "2xx" })).toBe(2);
    expect(value(text, "telemetry_requests_total", { route: "/v1/logs", status_class: "4xx" })).toBe(1);
    expect(value(text, "telemetry_requests_total", { route: "/v1/assets/:asset/bundles", status_class: "2xx" })).toBe(1);
    expect(text).not.toContain("very-private-asset-name");
    expect(value(text, "telemetry_request_duration_seconds_count", { route: "/v1/logs" })).toBe(3);
    expect(value(text, "telemetry_request_duration_seconds_bucket", { route: "/v1/logs", le: "+Inf" })).toBe(3);
    expect(value(text, "telemetry_request_duration_seconds_sum", { route: "/v1/logs" })).toBeGreaterThanOrEqual(0);
    for (const family of ["telemetry_requests_total counter", "telemetry_request_duration_seconds histogram", "telemetry_events_ingested_total counter", "telemetry_ingest_rejected_total counter", "ring_buffer_size gauge", "alerts_fired_total counter"]) {
      expect(text).toContain(`# TYPE ${family}\n`);
    }
    // The scrape itself counts, from the next scrape on.
    expect(value(await scrape(scraper), "telemetry_requests_total", { route: "/metrics", status_class: "2xx" })).toBe(1);
  });

  it("counts stored events by source, and rejected ingest requests by problem code", async () => {
    const { key, scraper } = await tenantKeys("met-ingest", { quotas: { requests_per_minute: 3 } });
    expect((await sendLogs(key, ndjson(3))).status).toBe(200);
    expect((await post("/v1/telemetry?asset=m", key, '{"alerts":[],"latency_ms_p95":null}')).status).toBe(200);
    await expectProblem(await sendLogs(key, ""), 400);
    expect((await hec(key, '{"event":"a"}{"event":"b"}')).status).toBe(200);
    await expectProblem(await sendLogs(key, ndjson(1)), 429);
    const text = await scrape(scraper);
    expect(value(text, "telemetry_events_ingested_total", { source: "http" })).toBe(3);
    expect(value(text, "telemetry_events_ingested_total", { source: "fixops" })).toBe(1);
    expect(value(text, "telemetry_events_ingested_total", { source: "splunk.hec" })).toBe(2);
    expect(value(text, "telemetry_ingest_rejected_total", { reason: "invalid_body" })).toBe(1);
    expect(value(text, "telemetry_ingest_rejected_total", { reason: "rate_limited" })).toBe(1);
    // A request without credentials has no tenant: only the operator sees it.
    const before = value(await scrape(ADMIN_TOKEN), "telemetry_ingest_rejected_total", { reason: "unauthorized" }) ?? 0;
    await expectProblem(await call("/v1/logs", { method: "POST", body: "{}" }), 401);
    expect(value(await scrape(ADMIN_TOKEN), "telemetry_ingest_rejected_total", { reason: "unauthorized" })).toBe(before + 1);
    expect(value(await scrape(scraper), "telemetry_ingest_rejected_total", { reason: "unauthorized" })).toBeUndefined();
  });

  it("labels requests that match no route as unmatched", async () => {
    await call("/no/such/path/abc123");
    const text = await scrape(ADMIN_TOKEN);
    expect(value(text, "telemetry_requests_total", { route: "unmatched", status_class: "4xx" })).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain("abc123");
  });
});

describe("asset series reported by AssetLog objects", () => {
  it("appear once an asset reports metrics; a report without them keeps them, an older one does not replace them", async () => {
    const { scraper } = await tenantKeys("met-assets");
    await touch("met-assets", "pump-1", 1_000, METRICS);
    let text = await scrape(scraper);
    expect(value(text, "ring_buffer_size", { asset: "pump-1" })).toBe(42);
    expect(value(text, "ring_buffer_evictions_total", { asset: "pump-1" })).toBe(7);
    expect(value(text, "evidence_bundles_generated_total", { asset: "pump-1" })).toBe(3);
    expect(value(text, "forward_attempts_total", { asset: "pump-1", result: "success" })).toBe(10);
    expect(value(text, "forward_attempts_total", { asset: "pump-1", result: "failure" })).toBe(2);
    expect(value(text, "forward_attempts_total", { asset: "pump-1", result: "dlq" })).toBe(1);
    expect(value(text, "forward_dlq_depth", { asset: "pump-1" })).toBe(1);
    expect(value(text, "alerts_fired_total", { asset: "pump-1", rule: "waf-blocks" })).toBe(4);
    // Quote, backslash and line feed in a rule name arrive escaped and parse back unchanged.
    expect(text).toContain('alerts_fired_total{asset="pump-1",rule="say \\"hi\\"\\\\now"} 2\n');
    expect(value(text, "alerts_fired_total", { asset: "pump-1", rule: 'say "hi"\\now' })).toBe(2);
    expect(value(text, "telemetry_metrics_incomplete", { reason: "asset_cap" })).toBe(0);

    await touch("met-assets", "pump-1", 2_000);
    expect(value(await scrape(scraper), "ring_buffer_size", { asset: "pump-1" })).toBe(42);
    await touch("met-assets", "pump-1", 1_500, { ...METRICS, ring_buffer_size: 1 });
    expect(value(await scrape(scraper), "ring_buffer_size", { asset: "pump-1" })).toBe(42);
    await touch("met-assets", "pump-1", 3_000, { ...METRICS, ring_buffer_size: 5 });
    expect(value(await scrape(scraper), "ring_buffer_size", { asset: "pump-1" })).toBe(5);
  });

  it("pages the tenant's reports in asset order through the Tenant object", async () => {
    await createTenant("met-pages");
    for (const a of ["c", "a", "b"]) await touch("met-pages", a, 1, METRICS);
    await touch("met-pages", "silent", 1);
    const stub = env.TENANT.getByName(tenantObjectName("met-pages"));
    const first = await stub.assetMetrics(2);
    expect(first.assets.map((a) => a.asset)).toEqual(["a", "b"]);
    const second = await stub.assetMetrics(2, first.next_cursor!);
    expect(second).toEqual({ assets: [{ asset: "c", metrics: METRICS }], next_cursor: null });
  });
});

describe("tenancy", () => {
  it("a tenant's key sees only its tenant's series; the operator sees every tenant, labelled", async () => {
    const a = await tenantKeys("met-ten-a");
    const b = await tenantKeys("met-ten-b");
    expect((await sendLogs(a.key, ndjson(2))).status).toBe(200);
    expect((await hec(b.key, '{"event":"x"}')).status).toBe(200);
    await touch("met-ten-a", "a-pump", 10, METRICS);
    await touch("met-ten-b", "b-secret-asset", 10, { ...METRICS, alerts_fired_total: { "b-secret-rule": 9 } });

    const seenByA = await scrape(a.scraper);
    expect(value(seenByA, "telemetry_events_ingested_total", { source: "http" })).toBe(2);
    expect(value(seenByA, "telemetry_events_ingested_total", { source: "splunk.hec" })).toBeUndefined();
    expect(value(seenByA, "ring_buffer_size", { asset: "a-pump" })).toBe(42);
    expect(seenByA).not.toMatch(/tenant=|met-ten-b|b-secret-asset|b-secret-rule|splunk/);
    const seenByB = await scrape(b.scraper);
    expect(value(seenByB, "telemetry_events_ingested_total", { source: "splunk.hec" })).toBe(1);
    expect(seenByB).not.toMatch(/a-pump|met-ten-a/);

    const operator = await scrape(ADMIN_TOKEN);
    expect(value(operator, "telemetry_events_ingested_total", { tenant: "met-ten-a", source: "http" })).toBe(2);
    expect(value(operator, "telemetry_events_ingested_total", { tenant: "met-ten-b", source: "splunk.hec" })).toBe(1);
    expect(value(operator, "telemetry_requests_total", { tenant: "met-ten-a", route: "/v1/logs", status_class: "2xx" })).toBe(1);
    expect(value(operator, "ring_buffer_size", { tenant: "met-ten-a", asset: "a-pump" })).toBe(42);
    expect(value(operator, "alerts_fired_total", { tenant: "met-ten-b", asset: "b-secret-asset", rule: "b-secret-rule" })).toBe(9);
    for (const reason of ["tenant_cap", "asset_cap", "tenant_unavailable"]) expect(value(operator, "telemetry_metrics_incomplete", { reason })).toBe(0);

    // No credential's secret ever appears, in any view.
    for (const text of [seenByA, seenByB, operator]) {
      for (const k of [a.key, a.scraper, b.key, b.scraper]) expect(text).not.toContain(secretOf(k));
      expect(text).not.toContain(ADMIN_TOKEN);
    }
  });
});
