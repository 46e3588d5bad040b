/** POST /v1/ingest/flows and /v1/ingest/zeek through the Worker: alias mapping into stored lines, 207 per-record errors, 422, assets. */
import { describe, expect, it } from "vitest";
import goflow2 from "../fixtures/samples/goflow2-flows.ndjson?raw";
import logstash from "../fixtures/samples/logstash-netflow-v9.json?raw";
import zeek from "../fixtures/samples/zeek-conn.ndjson?raw";
import { expectProblem, post, storedLines, tenantWithKey } from "../fixtures/bridge.ts";

const NDJSON = { "Content-Type": "application/x-ndjson" };

describe("POST /v1/ingest/flows", () => {
  it("stores goflow2 NDJSON with the original record and the canonical flow member", async () => {
    const key = await tenantWithKey("net-goflow");
    const res = await post("/v1/ingest/flows?asset=edge-router", key, goflow2, NDJSON);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, accepted: 3, refused: 0, assets: { "edge-router": 3 } });
    const lines = await storedLines(key, "edge-router");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ source: "network.flow", ts: "2025-11-24T07:59:59.000Z" });
    const original = JSON.parse(goflow2.split("\n")[0]!);
    const { flow, ...rest } = lines[0].record;
    expect(rest).toEqual(JSON.parse(JSON.stringify(original)));
    expect(flow).toMatchObject({ src_ip: "203.0.113.7", dst_ip: "198.51.100.20", proto: 6, src_port: 51544, dst_port: 443, bytes: 1500, packets: 3, exporter: "192.0.2.1" });
    expect(lines[1].record.flow).toMatchObject({ src_ip: "2001:db8::10", proto: 17 });
  });

  it("stores Logstash NetFlow v9 and IPFIX names as the same canonical fields", async () => {
    const key = await tenantWithKey("net-logstash");
    const res = await post("/v1/ingest/flows", key, logstash);
    expect(await res.json()).toMatchObject({ ok: true, accepted: 2, assets: { default: 2 } });
    const lines = await storedLines(key, "default");
    expect(lines.map((l) => [l.record.flow.src_ip, l.record.flow.dst_port, l.record.flow.bytes])).toEqual([["10.1.1.10", 80, 5120], ["2001:db8::1", 60000, 90000]]);
  });

  it("answers 207 listing refused records by index and pointer, and stores the valid ones", async () => {
    const key = await tenantWithKey("net-partial");
    const body = [
      '{"src_addr":"10.0.0.1","dst_addr":"10.0.0.2","proto":"tcp","src_port":1,"dst_port":443,"timestamp":1763971200}',
      '{"src_addr":"10.0.0.1","dst_addr":"10.0.0.2","proto":"tcp","src_port":1,"dst_port":443}',
      "{not json",
      '{"src_addr":"10.0.0.3","dst_addr":"bad","proto":17,"src_port":1,"timestamp":1763971200}',
      '{"src_addr":"10.0.0.4","dst_addr":"10.0.0.5","proto":1,"timestamp":1763971201}',
    ].join("\n");
    const res = await post("/v1/ingest/flows?asset=fw", key, body, NDJSON);
    expect(res.status).toBe(207);
    const answer = (await res.json()) as { ok: boolean; accepted: number; refused: number; errors: { index: number; pointer: string; detail: string }[] };
    expect(answer).toMatchObject({ ok: false, accepted: 2, refused: 3, assets: { fw: 2 } });
    expect(answer.errors.map((e) => [e.index, e.pointer])).toEqual([[1, "/1"], [2, "/2"], [3, "/3/dst_addr"], [3, "/3"]]);
    expect(answer.errors[0]!.detail).toMatch(/time is required/);
    expect(answer.errors[3]!.detail).toMatch(/dst_port is required for udp/);
    const lines = await storedLines(key, "fw");
    expect(lines.map((l) => l.record.src_addr)).toEqual(["10.0.0.1", "10.0.0.4"]);
  });

  it("answers 422 with every record's errors when none is valid, and stores nothing", async () => {
    const key = await tenantWithKey("net-none");
    const res = await post("/v1/ingest/flows?asset=none", key, JSON.stringify([{ src_addr: "10.0.0.1" }, { flow: 1 }]));
    const problem = await expectProblem(res, 422);
    expect(problem.refused).toBe(2);
    expect((problem.errors as { index: number; pointer: string }[]).map((e) => e.pointer)).toEqual(["/0", "/0", "/0", "/1/flow", "/1", "/1", "/1", "/1"]);
    expect(await storedLines(key, "none")).toEqual([]);
  });

  it("puts flows under the asset the tenant's mapping derives from the exporter", async () => {
    const key = await tenantWithKey("net-mapping", { asset_mapping: { record_field: "flow.exporter", aliases: { "192.0.2.1": "core-router-1" } } });
    const res = await post("/v1/ingest/flows", key, goflow2, NDJSON);
    expect(await res.json()).toMatchObject({ accepted: 3, assets: { "core-router-1": 3 } });
  });

  it("stores a retried body once (its digest is the redelivery key)", async () => {
    const key = await tenantWithKey("net-retry");
    expect((await post("/v1/ingest/flows?asset=r", key, goflow2, NDJSON)).status).toBe(200);
    const again = await post("/v1/ingest/flows?asset=r", key, goflow2, NDJSON);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replay")).toBe("true");
    expect(await storedLines(key, "r")).toHaveLength(3);
  });

  it("needs the ingest scope and a JSON or NDJSON body", async () => {
    const key = await tenantWithKey("net-auth");
    await expectProblem(await post("/v1/ingest/flows", "tb_net-auth_0000000000000000_x", goflow2), 401);
    await expectProblem(await post("/v1/ingest/flows", key, "", NDJSON), 400);
    await expectProblem(await post("/v1/ingest/flows", key, "<xml/>", { "Content-Type": "application/xml" }), 415);
  });
});

describe("POST /v1/ingest/zeek", () => {
  it("stores conn.log lines with the uid as the event id and the canonical flow", async () => {
    const key = await tenantWithKey("net-zeek");
    const res = await post("/v1/ingest/zeek?asset=sensor-1", key, zeek, NDJSON);
    expect(await res.json()).toEqual({ ok: true, accepted: 3, refused: 0, assets: { "sensor-1": 3 } });
    const lines = await storedLines(key, "sensor-1");
    expect(lines[1]).toMatchObject({ id: "C5bLoe2Mvxqhawzqqd", source: "zeek.conn", ts: "2025-11-24T08:00:00.101Z" });
    expect(lines[1].record["id.orig_h"]).toBe("192.168.4.76");
    expect(lines[1].record.flow).toEqual({
      src_ip: "192.168.4.76", dst_ip: "203.0.113.7", proto: 6, proto_name: "tcp", src_port: 46378, dst_port: 443,
      bytes: 1024, packets: 12, resp_bytes: 8192, resp_packets: 14, start: "2025-11-24T08:00:00.101Z", end: "2025-11-24T08:00:01.335Z", duration_ms: 1234,
    });
  });

  it("answers 207 for a log with a record Zeek did not recognise", async () => {
    const key = await tenantWithKey("net-zeek-partial");
    const body = `${zeek.trim()}\n{"ts":1763971202,"uid":"Cx","id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2","proto":"unknown_transport"}\n`;
    const res = await post("/v1/ingest/zeek?asset=s", key, body, NDJSON);
    expect(res.status).toBe(207);
    expect(await res.json()).toMatchObject({ accepted: 3, refused: 1, errors: [{ index: 3, pointer: "/3/proto" }] });
  });
});
