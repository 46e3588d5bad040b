/** Tenants and key lifecycle through the admin API, as an operator and a tenant admin see them. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { admin, call, createKey, createTenant, expectProblem, getWithKey, post, secretOf } from "../fixtures/bridge.ts";

const SUMMARY = '{"alerts":[{"rule":"waf-blocks","count":5}],"latency_ms_p95":125}';
const ingestWith = (key: string) => post("/v1/telemetry", key, SUMMARY);
const asKey = (key: string, path: string, method = "GET", body?: unknown) =>
  call(path, { method, headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

afterEach(() => vi.useRealTimers());

describe("tenants (operator)", () => {
  it("lists tenants in pages, and shows renames and status changes", async () => {
    for (const t of ["ten-list-a", "ten-list-b", "ten-list-c"]) await createTenant(t);
    const first = (await (await admin("/v1/admin/tenants?limit=2")).json()) as any;
    expect(first.tenants.map((t: any) => t.tenant_id)).toEqual(["ten-list-a", "ten-list-b"]);
    const second = (await (await admin(`/v1/admin/tenants?limit=2&cursor=${first.next_cursor}`)).json()) as any;
    expect(second.tenants.map((t: any) => t.tenant_id)).toContain("ten-list-c");
    expect(await (await admin("/v1/admin/tenants/ten-list-a", "PATCH", { name: "Renamed" })).json()).toMatchObject({ name: "Renamed" });
    await admin("/v1/admin/tenants/ten-list-b", "PATCH", { status: "disabled" });
    const all = (await (await admin("/v1/admin/tenants?limit=1000")).json()) as any;
    expect(all.tenants.find((t: any) => t.tenant_id === "ten-list-a").name).toBe("Renamed");
    expect(all.tenants.find((t: any) => t.tenant_id === "ten-list-b").status).toBe("disabled");
    await expectProblem(await admin("/v1/admin/tenants/ten-list-a", "PATCH", { status: "gone" }), 422);
    await expectProblem(await admin("/v1/admin/tenants/ten-list-a", "PATCH", { tenant_id: "x" }), 422);
  });

  it("a disabled tenant's keys stop working, and work again when re-enabled", async () => {
    await createTenant("ten-disable");
    const key = await createKey("ten-disable", ["ingest"]);
    expect((await ingestWith(key)).status).toBe(200);
    await admin("/v1/admin/tenants/ten-disable", "PATCH", { status: "disabled" });
    await expectProblem(await ingestWith(key), 401);
    await admin("/v1/admin/tenants/ten-disable", "PATCH", { status: "active" });
    expect((await ingestWith(key)).status).toBe(200);
  });
});

describe("key lifecycle", () => {
  it("creates, uses, lists without the secret, revokes (rejected afterwards)", async () => {
    await createTenant("key-life");
    const created = (await (await admin("/v1/admin/tenants/key-life/keys", "POST", { scopes: ["ingest"], name: "shipper" })).json()) as any;
    expect((await ingestWith(created.key)).status).toBe(200);
    const secret = secretOf(created.key);
    const list = await (await admin("/v1/admin/tenants/key-life/keys")).text();
    expect(list).not.toContain(secret);
    const revoked = await admin(`/v1/admin/tenants/key-life/keys/${created.key_id}`, "DELETE");
    expect(await revoked.json()).toMatchObject({ key_id: created.key_id, revoked_at: expect.any(String) });
    await expectProblem(await ingestWith(created.key), 401);
    await expectProblem(await admin("/v1/admin/tenants/key-life/keys/0123456789abcdef", "DELETE"), 404);
    // Rotating a revoked key is refused: make a new one instead.
    await expectProblem(await admin(`/v1/admin/tenants/key-life/keys/${created.key_id}/rotate`, "POST", {}), 409);
    const audit = await (await admin("/v1/admin/tenants/key-life/audit")).text();
    expect(audit).not.toContain(secret);
    expect(JSON.parse(audit).entries.map((e: any) => e.action)).toEqual(["key.revoke", "key.create", "tenant.create"]);
  });

  it("rotates with a grace period: both keys work during it, only the new one after", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = Date.now();
    await createTenant("key-rotate");
    const old = (await (await admin("/v1/admin/tenants/key-rotate/keys", "POST", { scopes: ["ingest", "evidence"], name: "ci" })).json()) as any;
    const res = await admin(`/v1/admin/tenants/key-rotate/keys/${old.key_id}/rotate`, "POST", { grace_seconds: 600 });
    expect(res.status).toBe(201);
    const rotated = (await res.json()) as any;
    expect(rotated).toMatchObject({ scopes: ["ingest", "evidence"], name: "ci", rotated_from: old.key_id });
    expect(Date.parse(rotated.previous_expires_at) - t0).toBeGreaterThanOrEqual(599_000);
    expect((await ingestWith(old.key)).status).toBe(200);
    expect((await ingestWith(rotated.key)).status).toBe(200);
    vi.setSystemTime(t0 + 601_000);
    await expectProblem(await ingestWith(old.key), 401);
    expect((await ingestWith(rotated.key)).status).toBe(200);
    await expectProblem(await admin(`/v1/admin/tenants/key-rotate/keys/${rotated.key_id}/rotate`, "POST", { grace_seconds: -1 }), 422);
    // A key is rotated once; an expired key is not rotated at all.
    await expectProblem(await admin(`/v1/admin/tenants/key-rotate/keys/${old.key_id}/rotate`, "POST", {}), 409);
    const short = (await (await admin("/v1/admin/tenants/key-rotate/keys", "POST", { scopes: ["ingest"], expires_at: new Date(Date.now() + 1000).toISOString() })).json()) as any;
    vi.setSystemTime(Date.now() + 2000);
    await expectProblem(await admin(`/v1/admin/tenants/key-rotate/keys/${short.key_id}/rotate`, "POST", {}), 409);
  });

  it("rejects an expired key", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = Date.now();
    await createTenant("key-expire");
    const created = (await (await admin("/v1/admin/tenants/key-expire/keys", "POST", { scopes: ["ingest"], expires_at: new Date(t0 + 60_000).toISOString() })).json()) as any;
    expect((await ingestWith(created.key)).status).toBe(200);
    vi.setSystemTime(t0 + 61_000);
    await expectProblem(await ingestWith(created.key), 401);
  });
});

describe("tenant admin keys", () => {
  it("administer their own tenant only, and cannot create, list or disable tenants", async () => {
    await createTenant("adm-own");
    await createTenant("adm-other");
    const adminKey = await createKey("adm-own", ["admin"]);
    const made = await asKey(adminKey, "/v1/admin/tenants/adm-own/keys", "POST", { scopes: ["ingest"] });
    expect(made.status).toBe(201);
    expect((await asKey(adminKey, "/v1/admin/tenants/adm-own/keys")).status).toBe(200);
    expect((await asKey(adminKey, "/v1/admin/tenants/adm-own/config", "PUT", { ring_buffer: { max_lines: 10 } })).status).toBe(200);
    expect((await asKey(adminKey, "/v1/admin/tenants/adm-own", "PATCH", { name: "Own" })).status).toBe(200);
    await expectProblem(await asKey(adminKey, "/v1/admin/tenants/adm-own", "PATCH", { status: "disabled" }), 403);
    // Quotas, the evidence sink and secret references are the operator's.
    expect((await admin("/v1/admin/tenants/adm-own/config", "PUT", { quotas: { requests_per_minute: 100 }, forwarding: { mode: "http", fixops_url: "https://fixops.example/t", api_key_secret_ref: "FIXOPS_KEY" } })).status).toBe(200);
    await expectProblem(await asKey(adminKey, "/v1/admin/tenants/adm-own/config", "PUT", { quotas: { requests_per_minute: 0 } }), 403);
    await expectProblem(await asKey(adminKey, "/v1/admin/tenants/adm-own/config", "PUT", { evidence_store: { provider: "r2" } }), 403);
    await expectProblem(await asKey(adminKey, "/v1/admin/tenants/adm-own/config", "PUT", { forwarding: { mode: "http", fixops_url: "https://evil.example/", api_key_secret_ref: "OTHER" } }), 403);
    // The operator's key goes where fixops_url points: moving it is the operator's too.
    await expectProblem(await asKey(adminKey, "/v1/admin/tenants/adm-own/config", "PUT", { forwarding: { mode: "http", fixops_url: "https://fixops.example/t2", api_key_secret_ref: "FIXOPS_KEY" } }), 403);
    const kept = await asKey(adminKey, "/v1/admin/tenants/adm-own/config", "PUT", { ring_buffer: { max_lines: 20 }, forwarding: { mode: "off", fixops_url: "https://fixops.example/t", api_key_secret_ref: "FIXOPS_KEY" } });
    expect(await kept.json()).toMatchObject({ ring_buffer: { max_lines: 20 }, quotas: { requests_per_minute: 100 } });
    // Nobody may reference the bridge's own secrets.
    await expectProblem(await admin("/v1/admin/tenants/adm-own/config", "PUT", { forwarding: { mode: "http", fixops_url: "https://fixops.example/t", api_key_secret_ref: "ADMIN_TOKEN" } }), 422);
    for (const [method, path] of [["GET", "/v1/admin/tenants/adm-other"], ["GET", "/v1/admin/tenants/adm-other/keys"], ["POST", "/v1/admin/tenants/adm-other/keys"], ["PUT", "/v1/admin/tenants/adm-other/config"], ["GET", "/v1/admin/tenants/adm-other/audit"]] as const) {
      await expectProblem(await asKey(adminKey, path, method, method === "GET" ? undefined : { scopes: ["ingest"] }), 403);
    }
    await expectProblem(await asKey(adminKey, "/v1/admin/tenants", "POST", { tenant_id: "sneaky" }), 403);
    await expectProblem(await asKey(adminKey, "/v1/admin/tenants"), 403);
    // The admin scope alone does not ingest or read evidence.
    await expectProblem(await ingestWith(adminKey), 403);
    const audit = (await (await admin("/v1/admin/tenants/adm-own/audit")).json()) as any;
    const actors = audit.entries.map((e: any) => e.actor);
    expect(actors).toContain(`key:${adminKey.split("_")[2]}`);
    expect(actors).toContain("operator");
    expect((await getWithKey("/v1/admin/tenants/adm-own/audit?cursor=x", adminKey)).status).toBe(400);
  });
});

describe("request log", () => {
  it("records authenticated requests (method, path, status, latency, key id, request id, bytes, events) with filters", async () => {
    await createTenant("req-log");
    const key = await createKey("req-log", ["ingest", "evidence"]);
    const keyId = key.split("_")[2];
    expect((await post("/v1/logs?asset=a", key, '{"a":1}\n{"a":2}', { "Content-Type": "application/x-ndjson", "X-Request-ID": "req-1" })).status).toBe(200);
    await expectProblem(await getWithKey("/v1/assets/a/evidence?since=x", key), 400);
    expect((await getWithKey("/v1/assets/a/bundles", key)).status).toBe(200);
    // Buffered per isolate and sent within a second, with no further request needed.
    let log: any = { requests: [] };
    for (let i = 0; i < 40 && log.requests.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      log = await (await admin("/v1/admin/tenants/req-log/requests")).json();
    }
    expect(log.requests.map((r: any) => [r.method, r.path, r.status])).toEqual([
      ["GET", "/v1/assets/a/bundles", 200], ["GET", "/v1/assets/a/evidence", 400], ["POST", "/v1/logs", 200],
    ]);
    expect(log.requests[2]).toMatchObject({ key: keyId, request_id: "req-1", events: 2, bytes: 15, ms: expect.any(Number) });
    expect(JSON.stringify(log)).not.toContain(secretOf(key));
    const errors = (await (await admin("/v1/admin/tenants/req-log/requests?status=4xx")).json()) as any;
    expect(errors.requests.map((r: any) => r.status)).toEqual([400]);
    const logs = (await (await admin("/v1/admin/tenants/req-log/requests?path=/v1/logs")).json()) as any;
    expect(logs.requests).toHaveLength(1);
    await expectProblem(await admin("/v1/admin/tenants/req-log/requests?status=abc"), 400);
  });
});

describe("secrets and config changes", () => {
  it("never writes a key's secret to the logs", async () => {
    const lines: string[] = [];
    const spies = (["log", "info", "warn", "error"] as const).map((m) => vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(" "))));
    try {
      await createTenant("log-secret");
      const key = await createKey("log-secret", ["ingest"]);
      await ingestWith(key);
      await ingestWith(key.slice(0, -2) + "zz");
      await admin(`/v1/admin/tenants/log-secret/keys/${key.split("_")[2]}/rotate`, "POST", {});
      await admin(`/v1/admin/tenants/log-secret/keys/${key.split("_")[2]}`, "DELETE");
      await ingestWith(key);
      expect(lines.join("\n")).not.toContain(secretOf(key));
    } finally {
      for (const s of spies) s.mockRestore();
    }
  });

  it("applies a changed ring buffer bound to the tenant's existing assets", async () => {
    await createTenant("ring-change");
    const key = await createKey("ring-change", ["ingest", "evidence"]);
    for (let i = 0; i < 5; i++) await post("/v1/logs?asset=a", key, JSON.stringify({ i }));
    expect(((await (await getWithKey("/v1/assets/a/evidence?since=0", key)).json()) as any).metadata.line_count).toBe(5);
    expect((await admin("/v1/admin/tenants/ring-change/config", "PUT", { ring_buffer: { max_lines: 2 } })).status).toBe(200);
    const after = (await (await getWithKey("/v1/assets/a/evidence?since=0", key)).json()) as any;
    expect([after.metadata.line_count, after.bundle.first_seq, after.bundle.end_seq]).toEqual([2, 3, 5]);
  });
});
