/** GET /v1/version, GET /v1/system, and the headers every response carries. */
import { describe, expect, it } from "vitest";
import { call, createKey, expectProblem, getWithKey, tenantWithKey } from "../fixtures/bridge.ts";

describe("service info", () => {
  it("GET /v1/version is public: version, api version, git sha and build time (unknown when not set at deploy)", async () => {
    const res = await call("/v1/version");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ service: "telemetry-bridge", version: expect.stringMatching(/^\d+\.\d+\.\d+/), api_version: "v1", git_sha: "unknown", build_time: "unknown" });
  });

  it("GET /v1/system checks the tenant's objects and store live and summarises its effective config, without secrets", async () => {
    const key = await tenantWithKey("sys-ok", { ring_buffer: { max_lines: 5000 }, alert_rules: [{ name: "e", type: "level", levels: ["ERROR"] }] });
    const res = await getWithKey("/v1/system", key);
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(JSON.parse(text)).toMatchObject({
      tenant: "sys-ok", ok: true,
      checks: { tenant_object: { ok: true }, asset_index: { ok: true }, evidence_store: { ok: true } },
      config: { ring_buffer: { max_lines: 5000, max_seconds: 21_600 }, retention_days: { raw: 7, summary: 30, evidence: 365 }, evidence_store: { provider: "r2" }, forwarding: { mode: "off" }, counting_rules: ["waf-blocks"], alert_rules: 1, raw_spill: false, incident: null },
    });
    expect(text).not.toContain(key);
    // An active incident shows in the summary (a fresh key: credentials and config are cached together).
    const started = await call("/v1/admin/tenants/sys-ok/incident", { method: "POST", headers: { Authorization: "Bearer test-admin-token" }, body: JSON.stringify({ reason: "x", assets: ["web"] }) });
    expect(started.status).toBe(201);
    const after = (await (await getWithKey("/v1/system", await createKey("sys-ok", ["read"]))).json()) as { config: { incident: unknown } };
    expect(after.config.incident).toMatchObject({ id: expect.stringMatching(/^inc_/), assets: ["web"], ring_factor: 10, until: expect.any(String) });
  });

  it("answers 503 naming the failing check when the tenant's store cannot be built, and needs a read key", async () => {
    const key = await tenantWithKey("sys-bad", {
      evidence_store: { provider: "s3", endpoint: "https://s3.example.com", region: "auto", bucket: "bucket-x", path_style: true, access_key_id_ref: "SYS_NOT_SET_1", secret_access_key_ref: "SYS_NOT_SET_2" },
    });
    const res = await getWithKey("/v1/system", key);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ok: false, checks: { evidence_store: { ok: false, reason: "config" } }, config: { evidence_store: { provider: "s3", error: expect.stringContaining("SYS_NOT_SET_1") } } });
    const ingestOnly = await createKey("sys-bad", ["ingest"]);
    await expectProblem(await getWithKey("/v1/system", ingestOnly), 403);
  });

  it("every response carries X-API-Version: v1 and an X-Request-ID (echoed when valid), errors too", async () => {
    for (const path of ["/health", "/v1/version", "/v1/nope", "/v1/assets"]) {
      const res = await call(path, { headers: { "X-Request-ID": "req-123" } });
      expect(res.headers.get("x-api-version"), path).toBe("v1");
      expect(res.headers.get("x-request-id"), path).toBe("req-123");
    }
    const made = await call("/health", { headers: { "X-Request-ID": "bad id with spaces" } });
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
