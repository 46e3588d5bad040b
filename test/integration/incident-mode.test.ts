/**
 * Incident mode (docs/incident-mode.md): an admin toggle with a TTL that raises the affected
 * assets' ring bounds, seals a bundle hourly while active (and once more at the end), is recorded
 * in the audit log and in those bundles' predicates, and expires by itself.
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { assetObjectName, tenantObjectName } from "../../durable-objects/env.ts";
import type { AssetRef } from "../../durable-objects/asset-log/asset-log.ts";
import { assetRules } from "../../shared/asset-rules.ts";
import type { Incident } from "../../shared/incident.ts";
import { admin, call, createKey, expectProblem, getWithKey, post, tenantWithKey } from "../fixtures/bridge.ts";

afterEach(() => vi.useRealTimers());

function at(ms: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date(ms));
}

const RING = { max_lines: 10, max_seconds: 21_600 };

async function send(key: string, asset: string, n: number, from = 0) {
  const records = Array.from({ length: n }, (_, i) => ({ n: from + i, msg: "event" }));
  const res = await post("/v1/logs", key, JSON.stringify(records), { "X-Asset-Id": asset });
  expect(res.status, await res.clone().text()).toBe(200);
}

const stubOf = (tenant: string, asset: string) => env.ASSET_LOG.getByName(assetObjectName(tenant, asset));
const refOf = (tenant: string, asset: string): AssetRef => ({ tenant, asset, ring: RING });

async function bufferSize(tenant: string, asset: string): Promise<number> {
  return (await stubOf(tenant, asset).stats(refOf(tenant, asset))).size;
}

type Listed = { id: string; first_seq: number; end_seq: number; statement: string };

/** The asset's bundles, oldest first, with each statement's predicate. */
async function bundles(key: string, asset: string): Promise<(Listed & { predicate: Record<string, any> })[]> {
  const res = await getWithKey(`/v1/assets/${asset}/bundles`, key);
  expect(res.status).toBe(200);
  const list = ((await res.json()) as { bundles: Listed[] }).bundles.reverse();
  return Promise.all(list.map(async (b) => {
    const envelope = JSON.parse(await (await env.EVIDENCE.get(b.statement))!.text()) as { payload: string };
    return { ...b, predicate: (JSON.parse(atob(envelope.payload)) as { predicate: Record<string, any> }).predicate };
  }));
}

async function audit(tenant: string): Promise<{ action: string; actor: string; target: string | null; detail: any }[]> {
  const res = await admin(`/v1/admin/tenants/${tenant}/audit`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { entries: { action: string; actor: string; target: string | null; detail: any }[] }).entries;
}

describe("incident mode: the admin API", () => {
  it("refuses invalid bodies with every problem named, and keys without admin", async () => {
    const key = await tenantWithKey("inc-valid");
    const bad = await expectProblem(await admin("/v1/admin/tenants/inc-valid/incident", "POST", {
      ttl_seconds: 59, ring_factor: 0, assets: ["ok", "has space"], colour: "red",
    }), 422);
    expect((bad.errors as { pointer: string }[]).map((e) => e.pointer).sort()).toEqual(["/assets/1", "/colour", "/reason", "/ring_factor", "/ttl_seconds"]);
    await expectProblem(await admin("/v1/admin/tenants/inc-valid/incident", "POST", { reason: "x", ttl_seconds: 7 * 86_400 + 1 }), 422);
    await expectProblem(await admin("/v1/admin/tenants/inc-valid/incident", "POST", { reason: "x", assets: [] }), 422);
    await expectProblem(await admin("/v1/admin/tenants/inc-valid/incident", "POST", { reason: "  " }), 422);
    // Boundaries that are allowed.
    expect((await admin("/v1/admin/tenants/inc-valid/incident", "POST", { reason: "x", ttl_seconds: 60, ring_factor: 100 })).status).toBe(201);
    expect((await admin("/v1/admin/tenants/inc-valid/incident", "POST", { reason: "x", ttl_seconds: 7 * 86_400, ring_factor: 1 })).status).toBe(200);
    // An ingest key may not; an admin key of the tenant may.
    const res = await call("/v1/admin/tenants/inc-valid/incident", { method: "POST", headers: { Authorization: `Bearer ${key}` }, body: JSON.stringify({ reason: "x" }) });
    await expectProblem(res, 403);
    const adminKey = await createKey("inc-valid", ["admin"]);
    const ok = await call("/v1/admin/tenants/inc-valid/incident", { method: "DELETE", headers: { Authorization: `Bearer ${adminKey}` } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { incident: { ended_by: string } }).incident.ended_by).toMatch(/^key:[0-9a-f]{16}$/);
    await expectProblem(await admin("/v1/admin/tenants/nope/incident", "POST", { reason: "x" }), 404);
    await expectProblem(await admin("/v1/admin/tenants/inc-valid/incident", "DELETE"), 404);
  });

  it("starts with a 30-minute default TTL, records who/when/why/until in the audit log, and can be extended and ended", async () => {
    await tenantWithKey("inc-api");
    await expectProblem(await admin("/v1/admin/tenants/inc-api/incident"), 404);
    const before = Date.now();
    const started = await admin("/v1/admin/tenants/inc-api/incident", "POST", { reason: "credential stuffing on idp" });
    expect(started.status).toBe(201);
    const { incident } = (await started.json()) as { incident: Record<string, any> };
    expect(incident).toMatchObject({ id: expect.stringMatching(/^inc_[0-9a-f]{16}$/), reason: "credential stuffing on idp", by: "operator", assets: null, ring_factor: 10, active: true });
    const startedAt = Date.parse(incident.started_at);
    expect(startedAt).toBeGreaterThanOrEqual(before);
    expect(Date.parse(incident.until) - startedAt).toBe(1800 * 1000);
    expect((await (await admin("/v1/admin/tenants/inc-api/incident")).json())).toEqual({ incident });

    // Changing the active incident keeps its id and start.
    const changed = await admin("/v1/admin/tenants/inc-api/incident", "POST", { reason: "still going", ttl_seconds: 7200, assets: ["idp"] });
    expect(changed.status).toBe(200);
    const after = ((await changed.json()) as { incident: Record<string, any> }).incident;
    expect(after).toMatchObject({ id: incident.id, started_at: incident.started_at, reason: "still going", assets: ["idp"] });
    expect(Date.parse(after.until)).toBeGreaterThan(Date.parse(incident.until));

    const ended = await admin("/v1/admin/tenants/inc-api/incident", "DELETE");
    expect(ended.status).toBe(200);
    const end = ((await ended.json()) as { incident: Record<string, any> }).incident;
    expect(end).toMatchObject({ id: incident.id, active: false, ended_by: "operator", ended_at: end.until });

    const entries = await audit("inc-api");
    expect(entries.slice(0, 3).map((e) => e.action)).toEqual(["incident.end", "incident.update", "incident.start"]);
    expect(entries[2]).toMatchObject({ actor: "operator", target: incident.id, detail: { reason: "credential stuffing on idp", until: incident.until, assets: null, ring_factor: 10 } });
    expect(entries[0]).toMatchObject({ actor: "operator", target: incident.id });

    // A new incident after the end gets a new id.
    const again = await admin("/v1/admin/tenants/inc-api/incident", "POST", { reason: "round two" });
    expect(again.status).toBe(201);
    expect(((await again.json()) as { incident: { id: string } }).incident.id).not.toBe(incident.id);
  });

  it("is not part of the tenant config: GET config stays PUT-able, and PUT config keeps the incident", async () => {
    await tenantWithKey("inc-config", { ring_buffer: RING });
    expect((await admin("/v1/admin/tenants/inc-config/incident", "POST", { reason: "x" })).status).toBe(201);
    const config = (await (await admin("/v1/admin/tenants/inc-config/config")).json()) as Record<string, unknown>;
    expect(config).not.toHaveProperty("incident");
    expect((await admin("/v1/admin/tenants/inc-config/config", "PUT", config)).status).toBe(200);
    expect(((await (await admin("/v1/admin/tenants/inc-config/incident")).json()) as { incident: { active: boolean } }).incident.active).toBe(true);
    await expectProblem(await admin("/v1/admin/tenants/inc-config/config", "PUT", { ...config, incident: { reason: "sneaky" } }), 422);
  });
});

describe("incident mode: the assets", () => {
  it("raises the listed assets' ring bounds at once (others keep theirs), and they fall back when it expires", async () => {
    const key = await tenantWithKey("inc-ring", { ring_buffer: RING });
    await send(key, "a", 15);
    await send(key, "b", 15);
    expect(await bufferSize("inc-ring", "a")).toBe(10);
    const res = await admin("/v1/admin/tenants/inc-ring/incident", "POST", { reason: "a is under attack", assets: ["a"], ring_factor: 5, ttl_seconds: 600 });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ assets_notified: 1 });
    // Raised bounds keep what is left, but do not bring back the 5 lines already evicted (not yet trimmed).
    expect(await stubOf("inc-ring", "a").stats(refOf("inc-ring", "a"))).toMatchObject({ size: 10, evicted_total: 5 });
    await send(key, "a", 60, 15);
    await send(key, "b", 60, 15);
    expect(await bufferSize("inc-ring", "a")).toBe(50);
    expect(await bufferSize("inc-ring", "b")).toBe(10);

    // Expiry needs no request: the alarm seals the close and the bounds fall back.
    at(Date.now() + 601_000);
    await runDurableObjectAlarm(stubOf("inc-ring", "a"));
    expect(await bufferSize("inc-ring", "a")).toBe(10);
    expect(((await (await admin("/v1/admin/tenants/inc-ring/incident")).json()) as { incident: { active: boolean } }).incident.active).toBe(false);
  });

  it("seals when it starts, every hour while active and once at expiry; the bundles chain and name the incident", async () => {
    const key = await tenantWithKey("inc-seal", { ring_buffer: RING });
    await send(key, "web", 8);
    const t0 = Date.now();
    const started = await admin("/v1/admin/tenants/inc-seal/incident", "POST", { reason: "suspected exfiltration", ttl_seconds: 3 * 3600 });
    const { incident } = (await started.json()) as { incident: Record<string, any> };
    const stub = stubOf("inc-seal", "web");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    let list = await bundles(key, "web");
    expect(list.map((b) => [b.first_seq, b.end_seq])).toEqual([[0, 8]]);
    const named = { id: incident.id, reason: "suspected exfiltration", by: "operator", started_at: incident.started_at, until: incident.until };
    expect(list[0]!.predicate.incident).toEqual(named);

    // 30 more lines: more than the tenant's bound of 10, within the raised 100; nothing sealed before the hour.
    await send(key, "web", 30, 8);
    at(t0 + 1_800_000);
    await runDurableObjectAlarm(stub);
    expect(await bundles(key, "web")).toHaveLength(1);
    at(t0 + 3_601_000);
    await runDurableObjectAlarm(stub);
    list = await bundles(key, "web");
    expect(list.map((b) => [b.first_seq, b.end_seq])).toEqual([[0, 8], [8, 38]]);
    expect(list[1]!.predicate.incident).toEqual(named);
    expect(list[1]!.predicate.buffer.truncated).toBe(false);
    expect(list[1]!.predicate.previous.bundle_id).toBe(list[0]!.id);

    // An evidence request during the incident names it too.
    await send(key, "web", 2, 38);
    const asked = await getWithKey("/v1/assets/web/evidence?since=continue", key);
    expect(asked.status).toBe(200);
    list = await bundles(key, "web");
    expect(list.at(-1)!.predicate.incident).toEqual(named);

    // Past `until`: the closing seal, then no more incident seals and no incident in later bundles.
    await send(key, "web", 5, 40);
    at(t0 + 3 * 3600_000 + 1000);
    await runDurableObjectAlarm(stub);
    list = await bundles(key, "web");
    // The closing bundle continues from the incident's own last bundle (38), overlapping the one asked for
    // meanwhile: a shorter window asked for by a client can never leave lines of the incident unsealed.
    expect(list.map((b) => [b.first_seq, b.end_seq])).toEqual([[0, 8], [8, 38], [38, 40], [38, 45]]);
    expect(list[3]!.predicate.incident).toEqual(named);
    at(t0 + 5 * 3600_000);
    await runDurableObjectAlarm(stub);
    expect(await bundles(key, "web")).toHaveLength(4);
    await send(key, "web", 1, 45);
    expect((await getWithKey("/v1/assets/web/evidence?since=continue", key)).status).toBe(200);
    list = await bundles(key, "web");
    expect(list).toHaveLength(5);
    expect(list[4]!.predicate.incident).toBeUndefined();
  });

  it("ended early by DELETE: the closing bundle records ended_at, and a stale copy of the incident cannot revive it", async () => {
    const key = await tenantWithKey("inc-end", { ring_buffer: RING });
    await send(key, "a", 3);
    const started = await admin("/v1/admin/tenants/inc-end/incident", "POST", { reason: "drill", assets: ["a"] });
    const { incident: active } = (await started.json()) as { incident: Record<string, any> };
    const stub = stubOf("inc-end", "a");
    await runDurableObjectAlarm(stub);
    // What an edge isolate that cached the config before the DELETE would still carry.
    const configBefore = { ring_buffer: RING, incident: (await (await env.TENANT.getByName(tenantObjectName("inc-end")).incident()) as { ok: true; value: Incident }).value };

    await send(key, "a", 4, 3);
    const ended = await admin("/v1/admin/tenants/inc-end/incident", "DELETE");
    expect(ended.status).toBe(200);
    expect(await ended.json()).toMatchObject({ assets_notified: 1, incident: { active: false } });
    await runDurableObjectAlarm(stub);
    const list = await bundles(key, "a");
    expect(list.map((b) => [b.first_seq, b.end_seq])).toEqual([[0, 3], [3, 7]]);
    expect(list[1]!.predicate.incident).toMatchObject({ id: active.id, ended_at: expect.any(String) });
    expect(list[0]!.predicate.incident.ended_at).toBeUndefined();

    // The stale version is older than the one the asset holds: bounds stay the tenant's.
    const stale: AssetRef = { tenant: "inc-end", asset: "a", ring: RING, rules: assetRules(env, configBefore) };
    await stub.append(stale, Array.from({ length: 30 }, (_, i) => ({ ts: Date.now(), source: "http" as const, recordJcs: `{"i":${i}}` })));
    expect((await stub.stats(stale)).size).toBe(10);
  });

  it("narrowing the listed assets tells the dropped ones: their bounds fall back and they seal their close", async () => {
    const key = await tenantWithKey("inc-narrow", { ring_buffer: RING });
    await send(key, "a", 5);
    await send(key, "b", 5);
    const started = await admin("/v1/admin/tenants/inc-narrow/incident", "POST", { reason: "both", assets: ["a", "b"] });
    expect(await started.json()).toMatchObject({ assets_notified: 2 });
    await runDurableObjectAlarm(stubOf("inc-narrow", "a"));
    await send(key, "a", 30, 5);
    expect(await bufferSize("inc-narrow", "a")).toBe(35);
    const narrowed = await admin("/v1/admin/tenants/inc-narrow/incident", "POST", { reason: "only b now", assets: ["b"] });
    expect(narrowed.status).toBe(200);
    // Both told: b is still in it, a was dropped.
    expect(await narrowed.json()).toMatchObject({ assets_notified: 2, incident: { assets: ["b"] } });
    await runDurableObjectAlarm(stubOf("inc-narrow", "a"));
    expect(await bufferSize("inc-narrow", "a")).toBe(10);
    const list = await bundles(key, "a");
    expect(list.map((b) => [b.first_seq, b.end_seq])).toEqual([[0, 5], [5, 35]]);
    expect(list[1]!.predicate.incident).toMatchObject({ reason: "only b now" });
    // No more seals for a while the incident goes on for b.
    at(Date.now() + 2 * 3_600_000);
    await send(key, "a", 3, 35);
    await runDurableObjectAlarm(stubOf("inc-narrow", "a"));
    expect(await bundles(key, "a")).toHaveLength(2);
  });

  it("ended and replaced before the asset's alarm ran: the close names the ended version, then the new one starts", async () => {
    const key = await tenantWithKey("inc-replace", { ring_buffer: RING });
    await send(key, "a", 4);
    const first = ((await (await admin("/v1/admin/tenants/inc-replace/incident", "POST", { reason: "first" })).json()) as { incident: { id: string } }).incident;
    const stub = stubOf("inc-replace", "a");
    await runDurableObjectAlarm(stub);
    await send(key, "a", 2, 4);
    expect((await admin("/v1/admin/tenants/inc-replace/incident", "DELETE")).status).toBe(200);
    const second = ((await (await admin("/v1/admin/tenants/inc-replace/incident", "POST", { reason: "second" })).json()) as { incident: { id: string } }).incident;
    expect(second.id).not.toBe(first.id);
    await runDurableObjectAlarm(stub);
    const list = await bundles(key, "a");
    expect(list.map((b) => [b.first_seq, b.end_seq, b.predicate.incident?.id])).toEqual([[0, 4, first.id], [4, 6, first.id]]);
    expect(list[1]!.predicate.incident.ended_at).toEqual(expect.any(String));
    // The new incident's start seal had nothing new to hold; its first hourly seal does.
    await send(key, "a", 1, 6);
    at(Date.now() + 3_601_000);
    await runDurableObjectAlarm(stub);
    expect((await bundles(key, "a")).map((b) => b.predicate.incident?.id)).toEqual([first.id, first.id, second.id]);
  });
});
