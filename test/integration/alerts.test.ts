import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { assetObjectName } from "../../durable-objects/env.ts";
import { call, createKey, expectProblem, getWithKey, post, storedLines, tenantWithKey } from "../fixtures/bridge.ts";

type Alert = { id: string; rule: string; status: string; key?: string; value?: number; repeats: number; severity: string; seq: number; actor?: string; note?: string };

async function alertsOf(key: string, asset: string, query = ""): Promise<Alert[]> {
  const res = await getWithKey(`/v1/assets/${asset}/alerts${query}`, key);
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { alerts: Alert[] }).alerts;
}

function send(key: string, asset: string, records: unknown[]) {
  return post("/v1/logs", key, JSON.stringify(records), { "X-Asset-Id": asset }).then(async (r) => {
    expect(r.status, await r.clone().text()).toBe(200);
  });
}

// Event times a day back: windows run on event time, and times past the receive time are clamped.
const T0 = Math.floor((Date.now() - 86_400_000) / 60_000) * 60_000;
afterEach(() => vi.useRealTimers());

function at(ms: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date(ms));
}

describe("alert rules", () => {
  it("burst: N-1 events from one key do not fire, N do (once), N+1 do not fire again; keys are separate", async () => {
    const key = await tenantWithKey("al-burst", {
      alert_rules: [{ name: "auth-burst", type: "burst", key_field: "src_ip", min_count: 5, window_seconds: 60, where: { field: "event", values: ["auth_failure"] }, severity: "high" }],
    });
    const fail = (ip: string, i: number) => ({ event: "auth_failure", src_ip: ip, ts: new Date(T0 + i * 1000).toISOString() });
    await send(key, "idp", [0, 1, 2, 3].map((i) => fail("10.0.0.1", i)));
    // Other events and other keys do not count toward 10.0.0.1's window.
    await send(key, "idp", [{ event: "login", src_ip: "10.0.0.1" }, fail("10.0.0.2", 4)]);
    expect(await alertsOf(key, "idp")).toEqual([]);
    await send(key, "idp", [fail("10.0.0.1", 5)]);
    const fired = await alertsOf(key, "idp");
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ rule: "auth-burst", key: "10.0.0.1", status: "OPEN", severity: "high", value: 5 });
    await send(key, "idp", [fail("10.0.0.1", 6)]);
    expect(await alertsOf(key, "idp")).toHaveLength(1);
  });

  it("burst: events spread wider than the window do not fire", async () => {
    const key = await tenantWithKey("al-window", { alert_rules: [{ name: "b", type: "burst", key_field: "ip", min_count: 3, window_seconds: 10 }] });
    const ev = (s: number) => ({ ip: "1.2.3.4", ts: new Date(T0 + s * 1000).toISOString() });
    await send(key, "a", [ev(0), ev(6), ev(12), ev(18)]);
    expect(await alertsOf(key, "a")).toEqual([]);
    await send(key, "a", [ev(19)]); // 12, 18, 19 within 10 s
    expect(await alertsOf(key, "a")).toHaveLength(1);
  });

  it("two rules firing on one event both fire, and the alerts are lines of the log", async () => {
    const key = await tenantWithKey("al-two", {
      alert_rules: [
        { name: "slow", type: "threshold", field: "latency_ms", above: 1000 },
        { name: "errors", type: "level", levels: ["ERROR", "CRITICAL"] },
        { name: "oom", type: "pattern", pattern: "out of memory|OOM" },
      ],
    });
    await send(key, "svc", [{ level: "error", latency_ms: 2500, message: "worker died: out of memory" }, { level: "info", latency_ms: 5 }]);
    const fired = await alertsOf(key, "svc");
    expect(fired.map((a) => a.rule).sort()).toEqual(["errors", "oom", "slow"]);
    expect(fired.find((a) => a.rule === "slow")!.value).toBe(2500);
    const lines = await storedLines(key, "svc");
    expect(lines.map((l) => l.source)).toEqual(["http", "http", "bridge.alert", "bridge.alert", "bridge.alert"]);
    expect(lines.slice(2).map((l) => l.record.alert.trigger_seq)).toEqual([0, 0, 0]);
    expect(lines.slice(2).map((l) => l.record.alert.id).sort()).toEqual(fired.map((a) => a.id).sort());
  });

  it("cooldown: a rule fires again only after its cooldown; firings inside it count as repeats", async () => {
    const key = await tenantWithKey("al-cool", { alert_rules: [{ name: "err", type: "level", levels: ["ERROR"], cooldown_seconds: 60 }] });
    at(T0);
    await send(key, "a", [{ level: "error" }]);
    at(T0 + 59_000);
    await send(key, "a", [{ level: "error" }, { level: "error" }]);
    let list = await alertsOf(key, "a");
    expect(list).toHaveLength(1);
    expect(list[0]!.repeats).toBe(2);
    at(T0 + 60_000);
    await send(key, "a", [{ level: "error" }]);
    list = await alertsOf(key, "a");
    expect(list).toHaveLength(2);
  });

  it("error_rate (count mode): fires at N errors in the window, with hysteresis, and keeps its state across a restart", async () => {
    const key = await tenantWithKey("al-rate", {
      alert_rules: [{ name: "err-rate", type: "error_rate", min_count: 3, window_seconds: 60, cooldown_seconds: 0 }],
    });
    const err = (s: number) => ({ level: "error", ts: new Date(T0 + s * 1000).toISOString() });
    await send(key, "r", [err(0), err(1)]);
    expect(await alertsOf(key, "r")).toEqual([]);
    // The object restarts between the second and third error: the window survives in storage.
    const stub = env.ASSET_LOG.getByName(assetObjectName("al-rate", "r"));
    await evictDurableObject(stub);
    await send(key, "r", [err(2)]);
    expect(await alertsOf(key, "r")).toHaveLength(1);
    // Still at or above the threshold: no new alert until the count falls below clear_below (1).
    await send(key, "r", [err(3), err(4)]);
    expect(await alertsOf(key, "r")).toHaveLength(1);
    // 200 s in, the window holds no error: below clear_below (default floor(3 / 2) = 1), so it re-arms.
    await send(key, "r", [{ level: "info", ts: new Date(T0 + 200_000).toISOString() }]);
    await send(key, "r", [err(201), err(202), err(203)]);
    expect(await alertsOf(key, "r")).toHaveLength(2);
  });

  it("error_rate (ratio mode): needs min_samples, fires at the ratio", async () => {
    const key = await tenantWithKey("al-ratio", {
      alert_rules: [{ name: "ratio", type: "error_rate", ratio: 0.5, min_samples: 4, window_seconds: 60, cooldown_seconds: 0 }],
    });
    const ev = (level: string, s: number) => ({ level, ts: new Date(T0 + s * 1000).toISOString() });
    await send(key, "r", [ev("error", 0), ev("error", 1), ev("error", 2)]);
    expect(await alertsOf(key, "r")).toEqual([]); // 3 samples < 4
    await send(key, "r", [ev("info", 3)]);
    const list = await alertsOf(key, "r");
    expect(list).toHaveLength(1);
    expect(list[0]!.value).toBe(0.75);
  });

  it("cooldowns survive a restart", async () => {
    const key = await tenantWithKey("al-cool-restart", { alert_rules: [{ name: "err", type: "level", levels: ["ERROR"], cooldown_seconds: 3600 }] });
    await send(key, "a", [{ level: "error" }]);
    await evictDurableObject(env.ASSET_LOG.getByName(assetObjectName("al-cool-restart", "a")));
    await send(key, "a", [{ level: "error" }]);
    const list = await alertsOf(key, "a");
    expect(list).toHaveLength(1);
    expect(list[0]!.repeats).toBe(1);
  });
});

describe("alert rules: edges found in review", () => {
  it("an event dated in the future does not stall a window: it counts as received now", async () => {
    const key = await tenantWithKey("al-future", { alert_rules: [{ name: "b", type: "burst", key_field: "ip", min_count: 3, window_seconds: 60 }] });
    const now = Date.now();
    await send(key, "a", [{ ip: "9.9.9.9", ts: new Date(now + 365 * 86_400_000).toISOString() }]);
    await send(key, "a", [{ ip: "9.9.9.9", ts: new Date(now).toISOString() }, { ip: "9.9.9.9", ts: new Date(now + 1000).toISOString() }]);
    expect(await alertsOf(key, "a")).toHaveLength(1);
  });

  it("error_rate ratio mode keeps its samples across restarts while below min_samples", async () => {
    const key = await tenantWithKey("al-ratio-restart", {
      alert_rules: [{ name: "ratio", type: "error_rate", ratio: 0.5, min_samples: 4, window_seconds: 600, cooldown_seconds: 0 }],
    });
    const stub = env.ASSET_LOG.getByName(assetObjectName("al-ratio-restart", "r"));
    for (let i = 0; i < 4; i++) {
      await send(key, "r", [{ level: "error", ts: new Date(T0 + i * 1000).toISOString() }]);
      await evictDurableObject(stub);
    }
    expect(await alertsOf(key, "r")).toHaveLength(1);
  });

  it("error_rate with min_count 1 re-arms once the window has no errors", async () => {
    const key = await tenantWithKey("al-rate-one", { alert_rules: [{ name: "any-error", type: "error_rate", min_count: 1, window_seconds: 60, cooldown_seconds: 0 }] });
    for (let h = 0; h < 3; h++) {
      await send(key, "r", [{ level: "info", ts: new Date(T0 + h * 3_600_000 - 1000).toISOString() }]);
      await send(key, "r", [{ level: "error", ts: new Date(T0 + h * 3_600_000).toISOString() }]);
    }
    expect(await alertsOf(key, "r")).toHaveLength(3);
  });
});

describe("alert lifecycle", () => {
  it("OPEN -> ACKNOWLEDGED -> RESOLVED with actor and note; invalid transitions are 409; changes are logged", async () => {
    const key = await tenantWithKey("al-life", { alert_rules: [{ name: "err", type: "level", levels: ["ERROR"] }] });
    const adminKey = await createKey("al-life", ["admin", "read"]);
    await send(key, "a", [{ level: "error" }]);
    const [alert] = await alertsOf(key, "a");
    const act = (action: string, body?: unknown, k = adminKey) =>
      call(`/v1/assets/a/alerts/${alert!.id}/${action}`, { method: "POST", headers: { Authorization: `Bearer ${k}`, "Content-Type": "application/json" }, ...(body ? { body: JSON.stringify(body) } : {}) });
    await expectProblem(await act("ack", undefined, key), 403); // ingest/read key cannot act
    const acked = await act("ack", { note: "looking" });
    expect(acked.status).toBe(200);
    expect(await acked.json()).toMatchObject({ status: "ACKNOWLEDGED", note: "looking", actor: expect.stringMatching(/^key:[0-9a-f]{16}$/) });
    await expectProblem(await act("ack"), 409);
    expect((await act("resolve")).status).toBe(200);
    await expectProblem(await act("suppress"), 409);
    expect((await alertsOf(key, "a", "?status=RESOLVED")).map((a) => a.id)).toEqual([alert!.id]);
    expect(await alertsOf(key, "a", "?status=OPEN")).toEqual([]);
    const lines = await storedLines(key, "a");
    expect(lines.filter((l) => l.source === "bridge.alert").map((l) => l.record.alert.status)).toEqual(["OPEN", "ACKNOWLEDGED", "RESOLVED"]);
    await expectProblem(await call(`/v1/assets/a/alerts/1-nope/ack`, { method: "POST", headers: { Authorization: `Bearer ${adminKey}` } }), 404);
  });

  it("a resolved alert's rule opens a new alert on its next firing, even inside the cooldown", async () => {
    const key = await tenantWithKey("al-reopen", { alert_rules: [{ name: "err", type: "level", levels: ["ERROR"], cooldown_seconds: 3600 }] });
    const adminKey = await createKey("al-reopen", ["admin", "read"]);
    await send(key, "a", [{ level: "error" }]);
    const [first] = await alertsOf(key, "a");
    await send(key, "a", [{ level: "error" }]);
    expect((await alertsOf(key, "a"))[0]!.repeats).toBe(1);
    expect((await call(`/v1/assets/a/alerts/${first!.id}/resolve`, { method: "POST", headers: { Authorization: `Bearer ${adminKey}` } })).status).toBe(200);
    await send(key, "a", [{ level: "error" }]);
    const list = await alertsOf(key, "a");
    expect(list.map((x) => x.status)).toEqual(["OPEN", "RESOLVED"]);
  });

  it("a mute outlives quiet days and the hourly housekeeping", async () => {
    const key = await tenantWithKey("al-mute-long", { alert_rules: [{ name: "err", type: "level", levels: ["ERROR"], cooldown_seconds: 0 }] });
    const adminKey = await createKey("al-mute-long", ["admin", "read"]);
    await send(key, "a", [{ level: "error" }]);
    const [alert] = await alertsOf(key, "a");
    await call(`/v1/assets/a/alerts/${alert!.id}/suppress`, { method: "POST", headers: { Authorization: `Bearer ${adminKey}` }, body: JSON.stringify({ mute_seconds: 30 * 86_400 }) });
    const stub = env.ASSET_LOG.getByName(assetObjectName("al-mute-long", "a"));
    at(Date.now() + 3 * 86_400_000);
    await runDurableObjectAlarm(stub);
    await evictDurableObject(stub);
    await send(key, "a", [{ level: "error" }]);
    const list = await alertsOf(key, "a");
    expect(list).toHaveLength(1);
    expect(list[0]!.repeats).toBe(1);
  });

  it("suppress mutes the rule for mute_seconds: firings count as repeats", async () => {
    const key = await tenantWithKey("al-mute", { alert_rules: [{ name: "err", type: "level", levels: ["ERROR"], cooldown_seconds: 0 }] });
    const adminKey = await createKey("al-mute", ["admin", "read"]);
    await send(key, "a", [{ level: "error" }]);
    const [alert] = await alertsOf(key, "a");
    const res = await call(`/v1/assets/a/alerts/${alert!.id}/suppress`, {
      method: "POST", headers: { Authorization: `Bearer ${adminKey}` }, body: JSON.stringify({ mute_seconds: 600 }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "SUPPRESSED", muted_until: expect.any(String) });
    await send(key, "a", [{ level: "error" }, { level: "error" }]);
    const list = await alertsOf(key, "a");
    expect(list).toHaveLength(1);
    expect(list[0]!.repeats).toBe(2);
  });

  it("tenants never see or act on each other's alerts", async () => {
    const key = await tenantWithKey("al-t1", { alert_rules: [{ name: "err", type: "level", levels: ["ERROR"] }] });
    await send(key, "same", [{ level: "error" }]);
    const [alert] = await alertsOf(key, "same");
    await tenantWithKey("al-t2");
    const other = await createKey("al-t2", ["admin", "read"]);
    expect(await alertsOf(other, "same")).toEqual([]);
    await expectProblem(await call(`/v1/assets/same/alerts/${alert!.id}/ack`, { method: "POST", headers: { Authorization: `Bearer ${other}` } }), 404);
  });

  it("rejects unsafe or invalid rules when the config is saved", async () => {
    const bad = await call("/v1/admin/tenants", {
      method: "POST", headers: { Authorization: "Bearer test-admin-token", "Content-Type": "application/json" },
      body: JSON.stringify({ tenant_id: "al-bad", name: "x", config: { alert_rules: [
        { name: "backref", type: "pattern", pattern: "(a)\\1" },
        { name: "br", type: "burst", min_count: 5 },
        { name: "er", type: "error_rate", window_seconds: 60 },
      ] } }),
    });
    const problem = await expectProblem(bad, 422);
    const pointers = (problem.errors as { pointer: string }[]).map((e) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(["/config/alert_rules/0/pattern", "/config/alert_rules/1/key_field", "/config/alert_rules/1/window_seconds", "/config/alert_rules/2"]));
  });
});


describe("pattern rules cannot hang", () => {
  it("catastrophic-backtracking patterns match 4 KiB adversarial messages in linear time", async () => {
    const patterns = ["((a)+)+$", "((a+))+$", "(a|aa)+$", "a.*a.*a.*a.*b", "(.*a){12}"];
    const key = await tenantWithKey("al-redos", { alert_rules: patterns.map((pattern, i) => ({ name: `p${i}`, type: "pattern", pattern })) });
    const started = Date.now();
    await send(key, "a", [{ message: "a".repeat(4096) + "!" }, { message: "a".repeat(5000) }]);
    // A backtracking engine needs minutes for the first of these on 30 characters.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await alertsOf(key, "a")).map((x) => x.rule).sort()).toEqual(["p1", "p0", "p2", "p4"].sort());
  });
});

describe("alerts in /metrics", () => {
  it("the asset reports its ring size and alerts fired to the tenant's metrics", async () => {
    const key = await tenantWithKey("al-metrics", { alert_rules: [{ name: "err", type: "level", levels: ["ERROR"], cooldown_seconds: 0 }] });
    const metricsKey = await createKey("al-metrics", ["metrics"]);
    await send(key, "m", [{ level: "error" }, { level: "info" }, { level: "error" }]);
    const res = await getWithKey("/metrics", metricsKey);
    expect(res.status).toBe(200);
    const text = await res.text();
    // 3 events and 2 alert lines; 2 alerts fired.
    expect(text).toMatch(/^ring_buffer_size\{asset="m"\} 5$/m);
    expect(text).toMatch(/^alerts_fired_total\{asset="m",rule="err"\} 2$/m);
  });
});
