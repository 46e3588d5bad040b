/** Exports to Splunk HEC and Elasticsearch _bulk from each asset's object (fakes: test/support/fake-fixops.ts). */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { assetObjectName } from "../../durable-objects/env.ts";
import { call, createKey, expectProblem, getWithKey, post, tenantWithKey } from "../fixtures/bridge.ts";

afterEach(() => vi.useRealTimers());

async function script(host: string, id: string, statuses: (number | "net" | "bulk-errors")[]) {
  expect((await fetch(`https://${host}/__script/${id}`, { method: "PUT", body: JSON.stringify(statuses) })).status).toBe(204);
}
async function received(host: string, id: string): Promise<{ headers: Record<string, string>; body: string }[]> {
  return (await (await fetch(`https://${host}/__requests/${id}`)).json()) as { headers: Record<string, string>; body: string }[];
}
const at = (ms: number) => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date(ms));
};
const splunk = (id: string, extra = {}) => ({ name: "splunk", type: "splunk_hec", url: `https://splunk.test/ingest/${id}`, token_ref: "SPLUNK_TEST_TOKEN", index: "main", ...extra });
const elastic = (id: string, extra = {}) => ({ name: "es", type: "elasticsearch", url: `https://elastic.test/ingest/${id}`, token_ref: "ELASTIC_TEST_API_KEY", index: "telemetry", ...extra });

describe("exports", () => {
  it("sends stored events to Splunk HEC (stacked JSON, Authorization: Splunk) and Elasticsearch _bulk (NDJSON, stable _id)", async () => {
    await script("splunk.test", "s1", []);
    await script("elastic.test", "e1", []);
    const key = await tenantWithKey("exp-ok", { exports: [splunk("s1"), elastic("e1")] });
    const res = await post("/v1/logs", key, [{ n: 1, level: "info" }, { n: 2 }].map((r) => JSON.stringify(r)).join("\n"), { "X-Asset-Id": "web", "Content-Type": "application/x-ndjson" });
    expect(res.status).toBe(200);
    expect(await runDurableObjectAlarm(env.ASSET_LOG.getByName(assetObjectName("exp-ok", "web")))).toBe(true);

    const [hec] = await received("splunk.test", "s1");
    expect(hec!.headers.authorization).toBe("Splunk splunk-test-token-not-a-secret");
    // Stacked JSON: one object per event, concatenated.
    const events = hec!.body.replace(/}{"time"/g, '}\n{"time"').split("\n").map((l) => JSON.parse(l));
    expect(events.map((e) => [e.index, e.host, e.sourcetype, e.event.seq, e.event.record.n])).toEqual([["main", "web", "telemetry-bridge:event", 0, 1], ["main", "web", "telemetry-bridge:event", 1, 2]]);
    expect(typeof events[0].time).toBe("number");

    const [bulk] = await received("elastic.test", "e1");
    expect(bulk!.headers.authorization).toBe("ApiKey elastic-test-key-not-a-secret");
    expect(bulk!.headers["content-type"]).toBe("application/x-ndjson");
    const lines = bulk!.body.trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(lines).toMatchObject([
      { index: { _id: "exp-ok:web:0", _index: "telemetry" } }, { seq: 0, record: { n: 1 } },
      { index: { _id: "exp-ok:web:1", _index: "telemetry" } }, { seq: 1, record: { n: 2 } },
    ]);
    // Nothing is sent twice.
    await runDurableObjectAlarm(env.ASSET_LOG.getByName(assetObjectName("exp-ok", "web")));
    expect(await received("splunk.test", "s1")).toHaveLength(1);
  });

  it("cuts batches at batch_events", async () => {
    await script("elastic.test", "e3", []);
    const key = await tenantWithKey("exp-batch", { exports: [elastic("e3", { batch_events: 2 })] });
    await post("/v1/logs", key, [1, 2, 3].map((n) => JSON.stringify({ n })).join("\n"), { "X-Asset-Id": "web", "Content-Type": "application/x-ndjson" });
    await runDurableObjectAlarm(env.ASSET_LOG.getByName(assetObjectName("exp-batch", "web")));
    const seqs = (await received("elastic.test", "e3")).map((r) => r.body.trimEnd().split("\n").filter((_, i) => i % 2 === 1).map((l) => JSON.parse(l).seq));
    expect(seqs).toEqual([[0, 1], [2]]);
  });

  it("retries failures (a _bulk item error, 5xx, network) with backoff, then DLQ without secrets, and redrive", async () => {
    await script("elastic.test", "e2", ["bulk-errors", 503, "net", 503, 503, 503]);
    const key = await tenantWithKey("exp-retry", { exports: [elastic("e2")] });
    const T0 = Date.now();
    at(T0);
    await post("/v1/logs", key, [1, 2, 3].map((n) => JSON.stringify({ n })).join("\n"), { "X-Asset-Id": "web", "Content-Type": "application/x-ndjson" });
    const stub = env.ASSET_LOG.getByName(assetObjectName("exp-retry", "web"));
    let now = T0 + 10_000;
    for (let i = 0; i < 7; i++) {
      at(now);
      await runDurableObjectAlarm(stub);
      now += 15 * 60_000;
    }
    // Six attempts, all the same batch (retries resend it whole: the _ids make that safe), then the DLQ.
    const got = await received("elastic.test", "e2");
    expect(got).toHaveLength(6);
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
    const admin = await createKey("exp-retry", ["read", "admin"]);
    const dlq = (await (await getWithKey("/v1/assets/web/forwarding/dlq", admin)).json()) as { dead_letters: { id: string; last_error: string }[] };
    expect(dlq.dead_letters).toMatchObject([{ id: "exp-es-0-3", last_error: "elasticsearch answered 503" }]);
    expect(JSON.stringify(dlq)).not.toContain("elastic-test-key-not-a-secret");
    const redrive = await call("/v1/assets/web/forwarding/dlq/redrive", { method: "POST", headers: { Authorization: `Bearer ${admin}` } });
    expect(await redrive.json()).toMatchObject({ redriven: 1 });
    await runDurableObjectAlarm(stub);
    expect(await received("elastic.test", "e2")).toHaveLength(7);
    expect(((await (await getWithKey("/v1/assets/web/forwarding/dlq", admin)).json()) as { depth: number }).depth).toBe(0);
  });

  it("the test endpoint sends one probe and reports a clear failure without the token", async () => {
    await script("splunk.test", "probe-ok", []);
    await script("elastic.test", "probe-bad", [401]);
    await tenantWithKey("exp-probe", { exports: [splunk("probe-ok"), elastic("probe-bad"), { ...elastic("x"), name: "nosecret", token_ref: "EXPORT_NOT_SET" }] });
    const test = (name: string) => call(`/v1/admin/tenants/exp-probe/exports/${name}/test`, { method: "POST", headers: { Authorization: "Bearer test-admin-token" } });
    const ok = await test("splunk");
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, destination: "splunk", type: "splunk_hec", status: 200 });
    expect(JSON.parse((await received("splunk.test", "probe-ok"))[0]!.body)).toMatchObject({ event: { telemetry_bridge_probe: true, tenant: "exp-probe" } });
    const auth = await expectProblem(await test("es"), 502);
    expect(auth).toMatchObject({ reason: "auth", destination: "es" });
    const missing = await expectProblem(await test("nosecret"), 502);
    expect(missing).toMatchObject({ reason: "config", detail: expect.stringContaining("EXPORT_NOT_SET") });
    for (const p of [auth, missing]) expect(JSON.stringify(p)).not.toContain("not-a-secret");
    await expectProblem(await test("nope"), 404);
  });

  it("exports are the operator's to configure (URL and secret), and are validated", async () => {
    await tenantWithKey("exp-guard");
    const admin = await createKey("exp-guard", ["admin"]);
    const put = (token: string, body: unknown) => call("/v1/admin/tenants/exp-guard/config", {
      method: "PUT", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    await expectProblem(await put(admin, { exports: [splunk("x")] }), 403);
    const bad = await expectProblem(await put("test-admin-token", { exports: [{ name: "x", type: "kafka", url: "http://10.0.0.1/", token_ref: "ADMIN_TOKEN" }] }), 422);
    expect((bad.errors as { pointer: string }[]).map((e) => e.pointer).sort()).toEqual(["/exports/0/token_ref", "/exports/0/type", "/exports/0/url"]);
  });
});
