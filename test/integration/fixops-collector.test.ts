/** The original FixOps collector's behaviours, through the Worker. */
import { describe, expect, it } from "vitest";
import { call, env, getWithKey, gunzipText, post, sha256Hex, tenantWithKey } from "../fixtures/bridge.ts";

const SUMMARY = '{"alerts":[{"rule":"waf-blocks","count":5}],"latency_ms_p95":125}';

describe("FixOps collector compatibility", () => {
  it("GET /health answers healthy with an ISO timestamp", async () => {
    const res = await call("/health");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; timestamp: string };
    expect(body.status).toBe("healthy");
    expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  it("accepts the ops-telemetry summary on /v1/telemetry and /telemetry", async () => {
    const key = await tenantWithKey("collector-a");
    for (const path of ["/v1/telemetry", "/telemetry"]) {
      const res = await post(path, key, SUMMARY);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true, accepted: 1, asset: "default" });
    }
  });

  it("evidence after 5 posts has line_count 5 and the sha256 of the stored gz object", async () => {
    const key = await tenantWithKey("collector-b");
    for (let i = 0; i < 5; i++) expect((await post("/v1/telemetry?asset=web-1", key, SUMMARY)).status).toBe(200);
    const res = await getWithKey("/evidence?since=3600&asset=web-1", key);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.ok).toBe(true);
    expect(body.metadata).toMatchObject({ line_count: 5, since_seconds: 3600, asset: "web-1" });
    expect(body.upload).toMatchObject({ provider: "r2", bucket: "telemetry-bridge-evidence" });
    expect(body.upload.key).toMatch(/^evidence\/collector-b\/web-1\/\d{4}\/\d\d\/\d\d\/evidence-\d{8}-\d{6}-[0-9a-f]{8}\/records\.jsonl\.gz$/);
    const obj = await env.EVIDENCE.get(body.upload.key);
    expect(obj).not.toBeNull();
    const gz = new Uint8Array(await obj!.arrayBuffer());
    expect(body.metadata.sha256).toBe(await sha256Hex(gz));
    expect(body.metadata.compressed_size_bytes).toBe(gz.byteLength);
    expect(body.upload.key).toContain(body.metadata.sha256.slice(0, 8));

    // Gunzip gives exactly the stored lines, in seq order, each ending in "\n".
    const text = await gunzipText(gz);
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.slice(0, -1).split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(lines[0]).toMatchObject({ asset: "web-1", source: "fixops", record: JSON.parse(SUMMARY) });
    // The gzip header's mtime is zero, so the same range always gives the same bytes.
    expect([...gz.subarray(4, 8)]).toEqual([0, 0, 0, 0]);

    // metadata.json sits beside the records with the collector's sidecar fields.
    const meta = await env.EVIDENCE.get(body.bundle.metadata);
    expect(JSON.parse(await meta!.text())).toMatchObject({
      line_count: 5, since_seconds: 3600, asset: "web-1", sha256: body.metadata.sha256,
      compressed_size_bytes: gz.byteLength, timestamp: body.metadata.timestamp,
    });
  });

  it("evidence with no lines says so", async () => {
    const key = await tenantWithKey("collector-c");
    const res = await getWithKey("/evidence?since=3600&asset=nothing-here", key);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, line_count: 0, message: "No logs found matching criteria" });
  });

  it("isolates assets: app-1's lines never appear in app-10's evidence and vice versa", async () => {
    const key = await tenantWithKey("collector-d");
    await post("/v1/telemetry?asset=app-1", key, '{"alerts":[{"rule":"r1","count":1}],"latency_ms_p95":1}');
    await post("/v1/telemetry?asset=app-10", key, '{"alerts":[{"rule":"r10","count":10}],"latency_ms_p95":10}');
    await post("/v1/telemetry?asset=app-10", key, '{"alerts":[{"rule":"r10","count":11}],"latency_ms_p95":10}');
    for (const [asset, rule, n] of [["app-1", "r1", 1], ["app-10", "r10", 2]] as const) {
      const body = (await (await getWithKey(`/v1/assets/${asset}/evidence?since=0`, key)).json()) as any;
      expect(body.metadata.line_count).toBe(n);
      const text = await gunzipText(await (await env.EVIDENCE.get(body.upload.key))!.arrayBuffer());
      for (const line of text.trim().split("\n").map((l) => JSON.parse(l))) {
        expect(line.asset).toBe(asset);
        expect(line.record.alerts[0].rule).toBe(rule);
      }
    }
  });
});
