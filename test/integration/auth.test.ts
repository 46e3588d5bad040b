/** Keys, scopes and tenant isolation, as clients and operators see them. */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { tenantObjectName } from "../../durable-objects/env.ts";
import { admin, call, createKey, createTenant, env, expectProblem, getWithKey, post, tenantWithKey, secretOf } from "../fixtures/bridge.ts";

const SUMMARY = '{"alerts":[{"rule":"waf-blocks","count":5}],"latency_ms_p95":125}';

describe("API keys on ingest and evidence", () => {
  it("401 without a key or with a wrong one, on every protected route", async () => {
    const key = await tenantWithKey("auth-401");
    const wrong = key.slice(0, -4) + (key.endsWith("AAAA") ? "BBBB" : "AAAA");
    const routes: [string, string][] = [["POST", "/v1/telemetry"], ["POST", "/telemetry"], ["POST", "/v1/logs"], ["GET", "/evidence"], ["GET", "/v1/assets/a/evidence"]];
    for (const [method, path] of routes) {
      for (const headers of [{}, { Authorization: `Bearer ${wrong}` }, { "X-API-Key": "tb_nope" }, { Authorization: "Basic abc" }] as Record<string, string>[]) {
        const init: RequestInit = { method, headers };
        if (method === "POST") init.body = SUMMARY;
        const res = await call(path, init);
        const problem = await expectProblem(res, 401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
        expect(JSON.stringify(problem)).not.toContain(wrong);
      }
    }
  });

  it("accepts X-API-Key as well as Authorization: Bearer", async () => {
    const key = await tenantWithKey("auth-xapikey");
    const res = await call("/v1/telemetry", { method: "POST", headers: { "X-API-Key": key }, body: SUMMARY });
    expect(res.status).toBe(200);
  });

  it("403 for a key without the route's scope", async () => {
    await createTenant("auth-403");
    const ingestOnly = await createKey("auth-403", ["ingest"]);
    const evidenceOnly = await createKey("auth-403", ["evidence"]);
    expect((await post("/v1/telemetry", ingestOnly, SUMMARY)).status).toBe(200);
    await expectProblem(await getWithKey("/evidence?asset=default", ingestOnly), 403);
    await expectProblem(await post("/v1/telemetry", evidenceOnly, SUMMARY), 403);
    expect((await getWithKey("/evidence?asset=default", evidenceOnly)).status).toBe(200);
  });

  it("tenant A's key cannot read tenant B's evidence", async () => {
    const keyA = await tenantWithKey("iso-a");
    const keyB = await tenantWithKey("iso-b");
    expect((await post("/v1/telemetry?asset=shared-name", keyB, SUMMARY)).status).toBe(200);
    // Same asset name, A's key: A's own (empty) log, never B's lines.
    expect(await (await getWithKey("/v1/assets/shared-name/evidence?since=0", keyA)).json()).toEqual({
      ok: true, line_count: 0, message: "No logs found matching criteria",
    });
    const b = (await (await getWithKey("/v1/assets/shared-name/evidence?since=0", keyB)).json()) as any;
    expect(b.metadata.line_count).toBe(1);
    expect(b.upload.key.startsWith("evidence/iso-b/")).toBe(true);
    // A key naming tenant B but minted for A does not authenticate.
    const forged = keyA.replace("tb_iso-a_", "tb_iso-b_");
    await expectProblem(await getWithKey("/v1/assets/shared-name/evidence?since=0", forged), 401);
  });

  it("a key of a tenant that does not exist is refused, and leaves no storage behind", async () => {
    await expectProblem(await getWithKey("/evidence", "tb_ghost_0123456789abcdef_" + "A".repeat(43)), 401);
    const tables = await runInDurableObject(env.TENANT.getByName(tenantObjectName("ghost")), (_o, state) =>
      state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray());
    expect(tables).toEqual([]);
  });
});

describe("admin API", () => {
  it("needs the admin token, or the tenant's own key with the admin scope", async () => {
    const key = await tenantWithKey("adm-guard");
    await expectProblem(await call("/v1/admin/tenants", { method: "POST", body: "{}" }), 401);
    await expectProblem(await call("/v1/admin/tenants/adm-guard", { headers: { Authorization: `Bearer ${key}` } }), 403);
    await expectProblem(await call("/v1/admin/tenants", { headers: { Authorization: `Bearer ${key}` } }), 403);
    await expectProblem(await call("/v1/admin/tenants/adm-guard", { headers: { Authorization: "Bearer wrong-token" } }), 401);
  });

  it("creates tenants (409 on a duplicate, 422 on a bad id) and shows them", async () => {
    const res = await admin("/v1/admin/tenants", "POST", { tenant_id: "acme", name: "ACME" });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ tenant_id: "acme", name: "ACME", status: "active" });
    await expectProblem(await admin("/v1/admin/tenants", "POST", { tenant_id: "acme", name: "Again" }), 409);
    for (const tenant_id of ["", "Upper", "under_score", "-lead", "x".repeat(64), 5]) {
      await expectProblem(await admin("/v1/admin/tenants", "POST", { tenant_id }), 422);
    }
    expect(await (await admin("/v1/admin/tenants/acme")).json()).toMatchObject({ tenant_id: "acme", config: {} });
    await expectProblem(await admin("/v1/admin/tenants/nobody"), 404);
  });

  it("creates keys shown once; lists them masked", async () => {
    await createTenant("adm-keys");
    const res = await admin("/v1/admin/tenants/adm-keys/keys", "POST", { scopes: ["ingest", "read", "evidence"], name: "fluent-bit" });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { key_id: string; key: string; scopes: string[] };
    expect(created.scopes).toEqual(["ingest", "read", "evidence"]);
    expect(created.key).toMatch(/^tb_adm-keys_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const list = await (await admin("/v1/admin/tenants/adm-keys/keys")).text();
    expect(list).not.toContain(secretOf(created.key));
    expect(JSON.parse(list).keys).toEqual([expect.objectContaining({ key_id: created.key_id, name: "fluent-bit", scopes: created.scopes, revoked_at: null })]);
    await expectProblem(await admin("/v1/admin/tenants/adm-keys/keys", "POST", { scopes: ["root"] }), 422);
    await expectProblem(await admin("/v1/admin/tenants/adm-keys/keys", "POST", { scopes: [] }), 422);
    await expectProblem(await admin("/v1/admin/tenants/adm-keys/keys", "POST", { scopes: ["ingest"], expires_at: "2000-01-01T00:00:00Z" }), 422);
    await expectProblem(await admin("/v1/admin/tenants/nobody/keys", "POST", { scopes: ["ingest"] }), 404);
  });

  it("validates and stores tenant config", async () => {
    await createTenant("adm-config");
    await expectProblem(await admin("/v1/admin/tenants/adm-config/config", "PUT", { ring_buffer: { max_lines: 0 } }), 422);
    await expectProblem(await admin("/v1/admin/tenants/adm-config/config", "PUT", { nonsense: 1 }), 422);
    // Names inherited from Object.prototype are unknown keys too, not silently dropped or stored.
    await expectProblem(await admin("/v1/admin/tenants/adm-config/config", "PUT", { toString: {} }), 422);
    await expectProblem(await admin("/v1/admin/tenants/adm-config/config", "PUT", { ring_buffer: { constructor: 5 } }), 422);
    const put = await admin("/v1/admin/tenants/adm-config/config", "PUT", { ring_buffer: { max_lines: 1000 } });
    expect(await put.json()).toEqual({ ring_buffer: { max_lines: 1000 } });
    expect(await (await admin("/v1/admin/tenants/adm-config/config")).json()).toEqual({ ring_buffer: { max_lines: 1000 } });
  });
});
