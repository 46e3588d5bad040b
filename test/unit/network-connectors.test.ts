/** NetFlow/IPFIX and Zeek conn.log decoders: alias mapping onto the canonical flow, per-record validation. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalize } from "../../shared/evidence/jcs.ts";
import { CONTENT_TYPES, hostileText } from "../fixtures/hostile.ts";
import { decodeNetflow } from "../../workers/connectors/netflow.ts";
import { timeOf } from "../../workers/connectors/network-records.ts";
import { decodeZeekConn } from "../../workers/connectors/zeek.ts";
import goflow2 from "../fixtures/samples/goflow2-flows.ndjson?raw";
import logstash from "../fixtures/samples/logstash-netflow-v9.json?raw";
import pmacct from "../fixtures/samples/pmacct-flows.ndjson?raw";
import zeek from "../fixtures/samples/zeek-conn.ndjson?raw";

const ctx = { receivedAt: 1_763_971_300_000 };

function flows(text: string, type: string | null = null) {
  const res = decodeNetflow(text, type, ctx);
  if (!res.ok) throw new Error(JSON.stringify(res.error));
  return res.value;
}

describe("decodeNetflow", () => {
  it("maps goflow2 fields (names and numbers for protocols, nanosecond times, IPv6)", () => {
    const { events, refused } = flows(goflow2);
    expect(refused).toEqual([]);
    expect(events.map((e) => e.record.flow)).toEqual([
      {
        src_ip: "203.0.113.7", dst_ip: "198.51.100.20", proto: 6, proto_name: "tcp", src_port: 51544, dst_port: 443, bytes: 1500, packets: 3,
        exporter: "192.0.2.1", start: "2025-11-24T07:59:59.000Z", end: "2025-11-24T08:00:00.500Z", duration_ms: 1500,
      },
      expect.objectContaining({ src_ip: "2001:db8::10", dst_ip: "2001:db8::53", proto: 17, proto_name: "udp", src_port: 53000, dst_port: 53 }),
      expect.objectContaining({ src_ip: "198.51.100.9", proto: 1, proto_name: "icmp", src_port: 0, dst_port: 0 }),
    ]);
    expect(events[0]).toMatchObject({ ts: Date.parse("2025-11-24T07:59:59.000Z"), asset: "default", source: "network.flow" });
    // The original record is kept whole, next to the canonical member.
    expect(events[0]!.record).toMatchObject({ src_addr: "203.0.113.7", proto: "TCP", time_received_ns: expect.any(Number) });
  });

  it("maps NetFlow v9 (Logstash's netflow codec), IPFIX names and pmacct", () => {
    const { events, refused } = flows(logstash);
    expect(refused).toEqual([]);
    expect(events[0]!.record.flow).toEqual({
      src_ip: "10.1.1.10", dst_ip: "203.0.113.80", proto: 6, proto_name: "tcp", src_port: 40112, dst_port: 80, bytes: 5120, packets: 12,
      start: "2025-11-24T07:59:58.000Z", end: "2025-11-24T08:00:01.500Z", duration_ms: 3500,
    });
    expect(events[1]!.record.flow).toEqual({
      src_ip: "2001:db8::1", dst_ip: "2001:db8:ffff::2", proto: 6, proto_name: "tcp", src_port: 443, dst_port: 60000, bytes: 90000, packets: 64,
      exporter: "192.0.2.2", start: "2025-11-24T07:59:50.000Z", end: "2025-11-24T07:59:55.000Z", duration_ms: 5000,
    });
    const pm = flows(pmacct);
    expect(pm.events[0]!.record.flow).toEqual({
      src_ip: "10.2.0.5", dst_ip: "198.51.100.77", proto: 17, proto_name: "udp", src_port: 5353, dst_port: 5353, bytes: 912, packets: 4,
      exporter: "192.0.2.3", start: "2025-11-24T07:59:00.000Z", end: "2025-11-24T08:00:00.000Z", duration_ms: 60000,
    });
  });

  it("refuses invalid records one by one with pointers, keeping the rest", () => {
    const body = [
      { src_addr: "10.0.0.1", dst_addr: "10.0.0.2", proto: 6, src_port: 1, dst_port: 2, timestamp: 1763971200 },
      { src_addr: "10.0.0.1", dst_addr: "10.0.0.2", proto: 6, src_port: 1, dst_port: 2 },
      { src_addr: "10.0.0.999", dst_addr: "10.0.0.2", proto: "tcp", dst_port: 2, timestamp: 1763971200 },
      { src_addr: "10.0.0.1", dst_addr: "10.0.0.2", proto: 47, timestamp: 1763971200 },
      { src_addr: "10.0.0.1", dst_addr: "10.0.0.2", proto: "bogus", timestamp: "yesterday" },
      "not an object",
      { src_addr: "10.0.0.1", dst_addr: "10.0.0.2", proto: 17, src_port: 70000, dst_port: -1, bytes: 1.5, timestamp: 1763971200, flow: {} },
      { ipv4_src_addr: "10.0.0.1", ipv4_dst_addr: "10.0.0.2", protocol: 1, first_switched: "2025-11-24T08:00:00Z", asset: "no spaces allowed" },
    ];
    const { events, refused } = flows(JSON.stringify(body));
    expect(events.map((e) => e.record.flow)).toEqual([
      expect.objectContaining({ src_ip: "10.0.0.1" }),
      expect.objectContaining({ proto: 47, proto_name: "gre" }), // GRE has no ports: none needed
    ]);
    expect(refused.map((r) => [r.index, r.pointer])).toEqual([
      [1, "/1"],
      [2, "/2/src_addr"], [2, "/2"],
      [4, "/4/proto"], [4, "/4/timestamp"],
      [5, "/5"],
      [6, "/6/flow"], [6, "/6/src_port"], [6, "/6/dst_port"], [6, "/6/bytes"],
      [7, "/7/asset"],
    ]);
    expect(refused[0]!.detail).toMatch(/time is required/);
    expect(refused[2]!.detail).toMatch(/src_port is required for tcp/);
  });

  it("refuses a bad NDJSON line as one record and the whole body only when it is not JSON at all", () => {
    const { events, refused } = flows('{"src_addr":"10.0.0.1","dst_addr":"10.0.0.2","proto":1,"ts":1763971200}\n{oops\n', "application/x-ndjson");
    expect(events).toHaveLength(1);
    expect(refused).toEqual([{ index: 1, pointer: "/1", detail: expect.stringMatching(/Invalid JSON/) }]);
    const whole = decodeNetflow("{oops", null, ctx);
    expect(whole.ok ? null : whole.error.code).toBe("invalid_json");
    const media = decodeNetflow("{}", "application/xml", ctx);
    expect(media.ok ? null : media.error.code).toBe("unsupported_media_type");
  });

  it("reads times in every form exporters write", () => {
    expect(timeOf("2025-11-24 08:00:00.123456")).toBe(Date.parse("2025-11-24T08:00:00.123Z"));
    expect(timeOf("1763971200.5")).toBe(1763971200500);
    expect(timeOf(1763971200123)).toBe(1763971200123);
    expect(timeOf("1763971200123456789", "ns")).toBe(1763971200123);
    expect(timeOf(1763971200123456, "us")).toBe(1763971200123);
    expect(timeOf("-5", "ns")).toBeNull();
    expect(timeOf("99999999999999999999999", "ns")).toBeNull();
  });
});

describe("decodeZeekConn", () => {
  it("maps conn.log fields, keeps the uid as the event id, and reads ICMP types", () => {
    const res = decodeZeekConn(zeek, null, ctx);
    if (!res.ok) throw new Error(JSON.stringify(res.error));
    const { events, refused } = res.value;
    expect(refused).toEqual([]);
    expect(events[0]).toMatchObject({ id: "CMdzit1AMNsmfAIiQc", source: "zeek.conn", ts: 1763971199305 });
    expect(events[0]!.record.flow).toEqual({
      src_ip: "192.168.4.76", dst_ip: "192.168.4.1", proto: 17, proto_name: "udp", src_port: 36844, dst_port: 53,
      bytes: 62, packets: 2, resp_bytes: 141, resp_packets: 2, start: "2025-11-24T07:59:59.305Z", end: "2025-11-24T07:59:59.372Z", duration_ms: 67,
    });
    expect(events[2]!.record.flow).toEqual({
      src_ip: "fe80::1", dst_ip: "ff02::1", proto: 58, proto_name: "ipv6-icmp", icmp_type: 135, icmp_code: 0, packets: 1, resp_packets: 0, start: "2025-11-24T08:00:01.500Z",
    });
  });

  it("accepts nested id objects and ISO times, and refuses records Zeek could not have written", () => {
    const lines = [
      { ts: "2025-11-24T08:00:00.000000Z", uid: "Cabc", id: { orig_h: "10.0.0.1", orig_p: 1, resp_h: "10.0.0.2", resp_p: 80 }, proto: "tcp" },
      { ts: 1763971200, uid: "Cdef", "id.orig_h": "10.0.0.1", "id.resp_h": "10.0.0.2", proto: "unknown_transport" },
      { uid: "Cghi", "id.orig_h": "10.0.0.1", "id.orig_p": 1, "id.resp_h": "10.0.0.2", "id.resp_p": 2, proto: "udp" },
      { ts: 1763971200, uid: "C j", "id.orig_h": "10.0.0.1", "id.orig_p": 1, "id.resp_h": "nope", "id.resp_p": 2, proto: "tcp", duration: "long" },
    ].map((l) => JSON.stringify(l)).join("\n");
    const res = decodeZeekConn(lines, "application/x-ndjson", ctx);
    if (!res.ok) throw new Error(JSON.stringify(res.error));
    expect(res.value.events.map((e) => e.id)).toEqual(["Cabc"]);
    expect(res.value.refused.map((r) => [r.index, r.pointer])).toEqual([
      [1, "/1/proto"], [2, "/2"], [3, "/3/id.resp_h"], [3, "/3/duration"], [3, "/3/uid"],
    ]);
  });
});

describe("under hostile input", () => {
  it("never throws; every event is storable and every refusal names a record", () => {
    fc.assert(fc.property(hostileText([goflow2, logstash, pmacct, zeek]), fc.constantFrom(...CONTENT_TYPES), (text, ct) => {
      for (const decode of [decodeNetflow, decodeZeekConn]) {
        const res = decode(text, ct, ctx);
        if (!res.ok) continue;
        for (const e of res.value.events) {
          canonicalize(e.record);
          expect(Number.isSafeInteger(e.ts)).toBe(true);
        }
        for (const r of res.value.refused) expect(r.pointer.startsWith(`/${r.index}`)).toBe(true);
      }
    }), { numRuns: 300 });
  });
});
