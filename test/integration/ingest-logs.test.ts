/** POST /v1/logs: JSON object, array, NDJSON (declared and detected), gzip, fan-out to assets. */
import { describe, expect, it } from "vitest";
import fluentbit from "../fixtures/samples/fluentbit-http-json.json?raw";
import vector from "../fixtures/samples/vector-http-ndjson.ndjson?raw";
import { call, env, getWithKey, gunzipText, gzip, post, tenantWithKey, storedLines } from "../fixtures/bridge.ts";

const stored = storedLines;

describe("POST /v1/logs", () => {
  it("takes a Fluent Bit json array and keeps the record and its epoch-seconds time", async () => {
    const key = await tenantWithKey("logs-fluentbit");
    const res = await post("/v1/logs", key, fluentbit);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, accepted: 2, assets: { "edge-waf": 2 } });
    const lines = await stored(key, "edge-waf");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ seq: 0, asset: "edge-waf", source: "http", ts: "2025-11-24T08:00:00.123Z" });
    expect(lines[0].record).toEqual(JSON.parse(fluentbit)[0]);
    expect(lines[0].rts).toMatch(/Z$/);
  });

  it("takes Vector NDJSON, declared or detected", async () => {
    const key = await tenantWithKey("logs-vector");
    expect((await post("/v1/logs", key, vector, { "Content-Type": "application/x-ndjson" })).status).toBe(200);
    const detected = await post("/v1/logs", key, vector, { "Content-Type": "text/plain" });
    expect(detected.status).toBe(200);
    expect(await detected.json()).toEqual({ ok: true, accepted: 2, assets: { "k8s-ingress": 2 } });
    const lines = await stored(key, "k8s-ingress");
    expect(lines.map((l) => l.seq)).toEqual([0, 1, 2, 3]);
    expect(lines[1].ts).toBe("2025-11-24T08:00:01.000Z");
  });

  it("takes a single object, puts it under ?asset= or X-Asset-Id, else default", async () => {
    const key = await tenantWithKey("logs-object");
    expect(await (await post("/v1/logs?asset=api", key, '{"message":"hi","ts":1763971200000}')).json()).toMatchObject({ assets: { api: 1 } });
    expect(await (await post("/v1/logs", key, '{"message":"hi"}', { "X-Asset-Id": "db@eu" })).json()).toMatchObject({ assets: { "db@eu": 1 } });
    expect(await (await post("/v1/logs", key, '{"message":"hi"}')).json()).toMatchObject({ assets: { default: 1 } });
    const [line] = await stored(key, "api");
    expect(line.ts).toBe("2025-11-24T08:00:00.000Z");
  });

  it("fans one request out to several assets", async () => {
    const key = await tenantWithKey("logs-fanout");
    const body = JSON.stringify([{ asset: "a", n: 1 }, { asset: "b", n: 2 }, { asset: "a", n: 3 }, { asset: "c/1", n: 4 }]);
    const res = await post("/v1/logs", key, body);
    expect(await res.json()).toEqual({ ok: true, accepted: 4, assets: { a: 2, b: 1, "c/1": 1 } });
    expect((await stored(key, "a")).map((l) => l.record.n)).toEqual([1, 3]);
    expect((await stored(key, "b")).map((l) => l.record.n)).toEqual([2]);
    expect((await stored(key, "c/1")).map((l) => l.record.n)).toEqual([4]);
  });

  it("inflates gzip bodies, including multi-member gzip", async () => {
    const key = await tenantWithKey("logs-gzip");
    const one = await gzip('{"asset":"z","n":1}\n');
    const two = await gzip('{"asset":"z","n":2}\n');
    const multi = new Uint8Array([...one, ...two]);
    const res = await post("/v1/logs", key, multi, { "Content-Encoding": "gzip", "Content-Type": "application/x-ndjson" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, accepted: 2, assets: { z: 2 } });
  });

  it("stores canonical (RFC 8785) lines whatever the key order sent", async () => {
    const key = await tenantWithKey("logs-jcs");
    await post("/v1/logs?asset=j", key, '{"z":1,"a":{"y":2.50,"b":[3,"\\u00e9"]},"ts":"2026-01-01T00:00:00+01:00"}');
    const body = (await (await getWithKey("/v1/assets/j/evidence?since=0", key)).json()) as any;
    const text = await gunzipText(await (await env.EVIDENCE.get(body.upload.key))!.arrayBuffer());
    expect(text).toMatch(/^\{"asset":"j","record":\{"a":\{"b":\[3,"é"\],"y":2\.5\},"ts":"2026-01-01T00:00:00\+01:00","z":1\},"rts":"[^"]+","seq":0,"source":"http","ts":"2025-12-31T23:00:00\.000Z"\}\n$/);
  });
});

describe("Idempotency-Key", () => {
  it("stores a retried request once and says it was a replay", async () => {
    const key = await tenantWithKey("logs-idem");
    const body = JSON.stringify([{ asset: "a", n: 1 }, { asset: "b", n: 2 }]);
    const first = await post("/v1/logs", key, body, { "Idempotency-Key": "batch-0001" });
    expect(await first.json()).toEqual({ ok: true, accepted: 2, assets: { a: 1, b: 1 } });
    expect(first.headers.get("idempotent-replay")).toBeNull();
    const retry = await post("/v1/logs", key, body, { "Idempotency-Key": "batch-0001" });
    expect(await retry.json()).toEqual({ ok: true, accepted: 2, assets: { a: 1, b: 1 } });
    expect(retry.headers.get("idempotent-replay")).toBe("true");
    expect((await post("/v1/logs", key, body, { "Idempotency-Key": "batch-0002" })).headers.get("idempotent-replay")).toBeNull();
    expect((await stored(key, "a")).map((l) => l.record.n)).toEqual([1, 1]);
    expect((await post("/v1/logs", key, body, { "Idempotency-Key": "has space" })).status).toBe(400);
  });
});

describe("per-tenant asset mapping and shipper health checks", () => {
  it("takes the asset from the tenant's record_field and renames through aliases", async () => {
    const key = await tenantWithKey("logs-mapping", { asset_mapping: { record_field: "kubernetes.pod", aliases: { "node-3": "edge-waf" } } });
    const body = JSON.stringify([{ kubernetes: { pod: "api-7f9" }, n: 1 }, { host: "x", n: 2 }, { asset: "node-3", n: 3 }, { asset: "explicit", kubernetes: { pod: "ignored" }, n: 4 }]);
    expect(await (await post("/v1/logs", key, body)).json()).toEqual({ ok: true, accepted: 4, assets: { "api-7f9": 1, default: 1, "edge-waf": 1, explicit: 1 } });
    // An asset named by the request comes before the tenant's record_field (DESIGN section 4).
    expect(await (await post("/v1/logs?asset=web-1", key, JSON.stringify({ kubernetes: { pod: "api-7f9" } }))).json()).toMatchObject({ assets: { "web-1": 1 } });
  });

  it("answers Vector's HEAD health check with 200", async () => {
    const res = await call("/v1/logs", { method: "HEAD" });
    expect(res.status).toBe(200);
    const get = await call("/v1/logs");
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST, HEAD");
  });
});
