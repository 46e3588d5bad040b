import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { assetObjectName } from "../../durable-objects/env.ts";
import { call, createKey, expectProblem, getWithKey, post, tenantWithKey } from "../fixtures/bridge.ts";

const T0 = Date.parse("2031-03-01T12:00:10.000Z");
afterEach(() => vi.useRealTimers());

function at(ms: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date(ms));
}

/** Script the fake FixOps (test/support/fake-fixops.ts) for one test: statuses in order, then 200. */
async function script(id: string, statuses: (number | "net")[]) {
  const res = await fetch(`https://fixops.test/__script/${id}`, { method: "PUT", body: JSON.stringify(statuses) });
  expect(res.status).toBe(204);
}

async function received(id: string): Promise<{ headers: Record<string, string>; body: string }[]> {
  return (await (await fetch(`https://fixops.test/__requests/${id}`)).json()) as { headers: Record<string, string>; body: string }[];
}

function forwardingTenant(tenant: string, id: string) {
  return tenantWithKey(tenant, {
    forwarding: { mode: "http", fixops_url: `https://fixops.test/ingest/${id}`, api_key_secret_ref: "FIXOPS_TEST_API_KEY", interval_seconds: 60 },
  });
}

const WAF = [["BLOCK", 125], ["BLOCK", 89], ["ALLOW", 15], ["BLOCK", 200]].map(([action, latency_ms]) => ({ action, latency_ms }));

describe("forwarding the ops-telemetry summary to FixOps", () => {
  it("sends each interval's summary once, from the alarm, with the API key from the secret", async () => {
    await script("ok", []);
    const key = await forwardingTenant("fw-ok", "ok");
    at(T0);
    const res = await post("/v1/logs", key, JSON.stringify(WAF), { "X-Asset-Id": "edge" });
    expect(res.status).toBe(200);
    // Ingest answered without FixOps being called.
    expect(await received("ok")).toEqual([]);
    const stub = env.ASSET_LOG.getByName(assetObjectName("fw-ok", "edge"));
    at(T0 + 60_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const got = await received("ok");
    expect(got).toHaveLength(1);
    expect(JSON.parse(got[0]!.body)).toEqual({ alerts: [{ rule: "waf-blocks", count: 3, asset: "edge" }], latency_ms_p95: 200 });
    expect(got[0]!.headers).toMatchObject({
      "content-type": "application/json",
      "x-api-key": "fixops-test-key-not-a-secret",
      "x-asset-id": "edge",
      "x-telemetry-window": "2031-03-01T12:00:00.000Z/2031-03-01T12:01:00.000Z",
    });
    // Nothing new: no further interval is sent, and no alarm is kept for an idle asset's forwarding.
    at(T0 + 180_000);
    await runDurableObjectAlarm(stub);
    expect(await received("ok")).toHaveLength(1);
    // The next interval with events is sent on its own.
    await post("/v1/logs", key, JSON.stringify([{ action: "ALLOW", latency_ms: 15 }]), { "X-Asset-Id": "edge" });
    at(T0 + 240_000);
    await runDurableObjectAlarm(stub);
    const all = await received("ok");
    expect(all).toHaveLength(2);
    expect(JSON.parse(all[1]!.body)).toEqual({ alerts: [{ rule: "waf-blocks", count: 0, asset: "edge" }], latency_ms_p95: 15 });
  });

  it("retries a failed send (500, then a network error) with backoff, with the same Idempotency-Key", async () => {
    await script("flaky", [500, "net"]);
    const key = await forwardingTenant("fw-flaky", "flaky");
    at(T0);
    await post("/v1/logs", key, JSON.stringify(WAF), { "X-Asset-Id": "edge" });
    const stub = env.ASSET_LOG.getByName(assetObjectName("fw-flaky", "edge"));
    at(T0 + 60_000);
    await runDurableObjectAlarm(stub);
    at(T0 + 70_000);
    await runDurableObjectAlarm(stub);
    at(T0 + 90_000);
    await runDurableObjectAlarm(stub);
    const got = await received("flaky");
    expect(got).toHaveLength(3);
    expect(new Set(got.map((r) => r.headers["idempotency-key"])).size).toBe(1);
    const admin = await createKey("fw-flaky", ["admin", "read"]);
    const dlq = (await (await getWithKey("/v1/assets/edge/forwarding/dlq", admin)).json()) as { depth: number; outbox: number };
    expect(dlq).toMatchObject({ depth: 0, outbox: 0 });
  });

  it("moves a payload that keeps failing to the DLQ, lists it without secrets, and redrives it", async () => {
    await script("down", [503, 503, 503, 503, 503, 503]);
    const key = await forwardingTenant("fw-down", "down");
    const admin = await createKey("fw-down", ["admin", "read"]);
    at(T0);
    await post("/v1/logs", key, JSON.stringify(WAF), { "X-Asset-Id": "edge" });
    const stub = env.ASSET_LOG.getByName(assetObjectName("fw-down", "edge"));
    let now = T0 + 60_000;
    for (let i = 0; i < 6; i++) {
      at(now);
      await runDurableObjectAlarm(stub);
      now += 15 * 60_000; // beyond the longest backoff
    }
    expect(await received("down")).toHaveLength(6);
    const res = await getWithKey("/v1/assets/edge/forwarding/dlq", admin);
    const text = await res.text();
    expect(text).not.toContain("fixops-test-key-not-a-secret");
    const dlq = JSON.parse(text) as { depth: number; dead_letters: { id: string; attempts: number; last_error: string; payload: { body: unknown } }[] };
    expect(dlq.depth).toBe(1);
    expect(dlq.dead_letters[0]).toMatchObject({ attempts: 6, last_error: "FixOps answered 503" });
    expect(dlq.dead_letters[0]!.payload.body).toEqual({ alerts: [{ rule: "waf-blocks", count: 3, asset: "edge" }], latency_ms_p95: 200 });
    // Once more: no further attempt is made while it sits in the DLQ.
    at(now);
    await runDurableObjectAlarm(stub);
    expect(await received("down")).toHaveLength(6);

    await expectProblem(await call("/v1/assets/edge/forwarding/dlq/redrive", { method: "POST", headers: { Authorization: `Bearer ${key}` } }), 403);
    const redrive = await call("/v1/assets/edge/forwarding/dlq/redrive", { method: "POST", headers: { Authorization: `Bearer ${admin}` }, body: JSON.stringify({ ids: [dlq.dead_letters[0]!.id] }) });
    expect(await redrive.json()).toMatchObject({ redriven: 1 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const got = await received("down");
    expect(got).toHaveLength(7);
    expect(JSON.parse(got[6]!.body).alerts[0].count).toBe(3);
    expect(await (await getWithKey("/v1/assets/edge/forwarding/dlq", admin)).json()).toMatchObject({ depth: 0, outbox: 0 });
  });

  it("sends nothing with mode off, and a missing secret is reported by name, not value", async () => {
    await script("off", []);
    const offKey = await tenantWithKey("fw-off", { forwarding: { mode: "off", fixops_url: "https://fixops.test/ingest/off" } });
    at(T0);
    await post("/v1/logs", offKey, JSON.stringify(WAF), { "X-Asset-Id": "edge" });
    at(T0 + 120_000);
    await runDurableObjectAlarm(env.ASSET_LOG.getByName(assetObjectName("fw-off", "edge")));
    expect(await received("off")).toEqual([]);

    await script("nosecret", []);
    const key = await tenantWithKey("fw-nosecret", {
      forwarding: { mode: "http", fixops_url: "https://fixops.test/ingest/nosecret", api_key_secret_ref: "FIXOPS_NOT_SET" },
    });
    at(T0);
    await post("/v1/logs", key, JSON.stringify(WAF), { "X-Asset-Id": "edge" });
    const stub = env.ASSET_LOG.getByName(assetObjectName("fw-nosecret", "edge"));
    let now = T0 + 60_000;
    for (let i = 0; i < 6; i++) {
      at(now);
      await runDurableObjectAlarm(stub);
      now += 15 * 60_000;
    }
    expect(await received("nosecret")).toEqual([]);
    const admin = await createKey("fw-nosecret", ["read"]);
    const dlq = (await (await getWithKey("/v1/assets/edge/forwarding/dlq", admin)).json()) as { dead_letters: { last_error: string }[] };
    expect(dlq.dead_letters[0]!.last_error).toBe("the secret FIXOPS_NOT_SET is not set");
  });

  it("validates the forwarding config", async () => {
    const res = await call("/v1/admin/tenants", {
      method: "POST", headers: { Authorization: "Bearer test-admin-token", "Content-Type": "application/json" },
      body: JSON.stringify({ tenant_id: "fw-bad", name: "x", config: { forwarding: { mode: "http", fixops_url: "http://fixops.internal/x", interval_seconds: 90 } } }),
    });
    const problem = await expectProblem(res, 422);
    expect((problem.errors as { pointer: string }[]).map((e) => e.pointer).sort()).toEqual(["/config/forwarding/fixops_url", "/config/forwarding/interval_seconds"]);
  });
});

describe("forwarding: edges found in review", () => {
  it("a tenant admin cannot move fixops_url (the operator's key would follow it)", async () => {
    await forwardingTenant("fw-move", "move");
    const admin = await createKey("fw-move", ["admin"]);
    const res = await call("/v1/admin/tenants/fw-move/config", {
      method: "PUT", headers: { Authorization: `Bearer ${admin}`, "Content-Type": "application/json" },
      body: JSON.stringify({ forwarding: { mode: "http", fixops_url: "https://fixops.test/ingest/stolen", api_key_secret_ref: "FIXOPS_TEST_API_KEY" } }),
    });
    await expectProblem(res, 403);
    // Switching mode is theirs to do.
    const off = await call("/v1/admin/tenants/fw-move/config", {
      method: "PUT", headers: { Authorization: `Bearer ${admin}`, "Content-Type": "application/json" },
      body: JSON.stringify({ forwarding: { mode: "off", fixops_url: "https://fixops.test/ingest/move", api_key_secret_ref: "FIXOPS_TEST_API_KEY", interval_seconds: 60 } }),
    });
    expect(off.status, await off.clone().text()).toBe(200);
  });

  it("a late alarm sends one payload per interval, not one merged payload", async () => {
    await script("late", []);
    const key = await forwardingTenant("fw-late", "late");
    at(T0);
    await post("/v1/logs", key, JSON.stringify([{ action: "BLOCK", latency_ms: 10 }]), { "X-Asset-Id": "edge" });
    at(T0 + 60_000);
    await post("/v1/logs", key, JSON.stringify([{ action: "BLOCK", latency_ms: 20 }, { action: "BLOCK", latency_ms: 30 }]), { "X-Asset-Id": "edge" });
    // The alarm due at the first boundary runs three minutes late.
    at(T0 + 180_000);
    await runDurableObjectAlarm(env.ASSET_LOG.getByName(assetObjectName("fw-late", "edge")));
    const got = (await received("late")).map((r) => [r.headers["x-telemetry-window"], JSON.parse(r.body).alerts[0].count]);
    expect(got).toEqual([
      ["2031-03-01T12:00:00.000Z/2031-03-01T12:01:00.000Z", 1],
      ["2031-03-01T12:01:00.000Z/2031-03-01T12:02:00.000Z", 2],
    ]);
  });

  it("turning forwarding off and on again does not send what arrived while it was off", async () => {
    await script("toggle", []);
    const key = await forwardingTenant("fw-toggle", "toggle");
    const stub = env.ASSET_LOG.getByName(assetObjectName("fw-toggle", "edge"));
    const setMode = async (mode: string) => {
      const res = await call("/v1/admin/tenants/fw-toggle/config", {
        method: "PUT", headers: { Authorization: "Bearer test-admin-token", "Content-Type": "application/json" },
        body: JSON.stringify({ forwarding: { mode, fixops_url: "https://fixops.test/ingest/toggle", api_key_secret_ref: "FIXOPS_TEST_API_KEY", interval_seconds: 60 } }),
      });
      expect(res.status).toBe(200);
    };
    at(T0);
    await post("/v1/logs", key, JSON.stringify(WAF), { "X-Asset-Id": "edge" });
    await setMode("off");
    // Config reaches the edge's key cache within 30 s; wait it out on the fake clock.
    at(T0 + 40_000);
    await post("/v1/logs", key, JSON.stringify(WAF), { "X-Asset-Id": "edge" });
    await setMode("http");
    at(T0 + 86_400_000);
    await post("/v1/logs", key, JSON.stringify([{ action: "BLOCK", latency_ms: 5 }]), { "X-Asset-Id": "edge" });
    at(T0 + 86_400_000 + 60_000);
    await runDurableObjectAlarm(stub);
    const got = await received("toggle");
    expect(got).toHaveLength(1);
    expect(JSON.parse(got[0]!.body)).toEqual({ alerts: [{ rule: "waf-blocks", count: 1, asset: "edge" }], latency_ms_p95: 5 });
  });

  it("an empty webhook secret fails that delivery (to the DLQ in time), and the alarm keeps sending FixOps payloads", async () => {
    await script("both", []);
    const key = await tenantWithKey("fw-empty-secret", {
      alert_rules: [{ name: "err", type: "level", levels: ["ERROR"], cooldown_seconds: 0 }],
      alert_webhook: { url: "https://fixops.test/ingest/hook-empty", secret_ref: "EMPTY_TEST_SECRET" },
      forwarding: { mode: "http", fixops_url: "https://fixops.test/ingest/both", api_key_secret_ref: "FIXOPS_TEST_API_KEY", interval_seconds: 60 },
    });
    at(T0);
    await post("/v1/logs", key, JSON.stringify([{ level: "error", action: "BLOCK" }]), { "X-Asset-Id": "edge" });
    const stub = env.ASSET_LOG.getByName(assetObjectName("fw-empty-secret", "edge"));
    let now = T0 + 60_000;
    for (let i = 0; i < 6; i++) {
      at(now);
      await runDurableObjectAlarm(stub);
      now += 15 * 60_000;
    }
    expect(await received("both")).toHaveLength(1);
    const admin = await createKey("fw-empty-secret", ["read"]);
    const dlq = (await (await getWithKey("/v1/assets/edge/forwarding/dlq", admin)).json()) as { dead_letters: { id: string; last_error: string }[] };
    expect(dlq.dead_letters).toMatchObject([{ id: expect.stringMatching(/^alert-/), last_error: "the secret EMPTY_TEST_SECRET is not set" }]);
  });
});

describe("alert webhooks", () => {
  it("POSTs each alert opening, signed with HMAC-SHA256 over t.body, retried like FixOps payloads", async () => {
    await script("hook", [502]);
    const key = await tenantWithKey("fw-hook", {
      alert_rules: [{ name: "err", type: "level", levels: ["ERROR"], severity: "critical" }],
      alert_webhook: { url: "https://fixops.test/ingest/hook", secret_ref: "ALERT_WEBHOOK_TEST_SECRET" },
    });
    at(T0);
    await post("/v1/logs", key, JSON.stringify([{ level: "error", message: "disk full" }]), { "X-Asset-Id": "db" });
    const stub = env.ASSET_LOG.getByName(assetObjectName("fw-hook", "db"));
    expect(await runDurableObjectAlarm(stub)).toBe(true); // 502
    at(T0 + 30_000);
    await runDurableObjectAlarm(stub); // retried: 200
    const got = await received("hook");
    expect(got).toHaveLength(2);
    const body = JSON.parse(got[1]!.body);
    expect(body).toMatchObject({ type: "alert.opened", tenant: "fw-hook", asset: "db", alert: { rule: "err", severity: "critical", status: "OPEN", seq: 0 } });
    const sig = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(got[1]!.headers["x-telemetry-bridge-signature"]!)!;
    expect(sig).not.toBeNull();
    const mac = await crypto.subtle.importKey("raw", new TextEncoder().encode("webhook-test-secret-not-a-secret"), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const expected = new Uint8Array(await crypto.subtle.sign("HMAC", mac, new TextEncoder().encode(`${sig[1]}.${got[1]!.body}`)));
    expect(sig[2]).toBe([...expected].map((b) => b.toString(16).padStart(2, "0")).join(""));
    expect(JSON.stringify(got)).not.toContain("webhook-test-secret-not-a-secret");
  });

  it("only the operator may name the webhook's secret", async () => {
    await tenantWithKey("fw-hook-guard");
    const admin = await createKey("fw-hook-guard", ["admin"]);
    const res = await call("/v1/admin/tenants/fw-hook-guard/config", {
      method: "PUT", headers: { Authorization: `Bearer ${admin}`, "Content-Type": "application/json" },
      body: JSON.stringify({ alert_webhook: { url: "https://hooks.example.com/x", secret_ref: "ADMIN_SECRET_OF_SOMEONE" } }),
    });
    await expectProblem(res, 403);
  });
});
