/**
 * Zeek conn.log in JSON (`POST /v1/ingest/zeek`): one object per line as Zeek's JSON writer
 * (LogAscii::use_json) writes it, with `id.orig_h` style keys (or nested `id` objects, as some
 * shippers rewrite them). Times in epoch seconds (the default), milliseconds (JSON::TS_MILLIS)
 * or ISO 8601 (JSON::TS_ISO8601). Each record keeps every original field and gains the
 * canonical `flow` member; the connection's `uid` is the event id. Invalid records are refused
 * one by one; the rest are kept. Pure.
 */
import type { TelemetryEvent } from "../../shared/events.ts";
import type { DecodeContext } from "./fixops-telemetry.ts";
import type { Decoded } from "./json-text.ts";
import { decodeNetworkRecords, findField, FLOW_MEMBER, type Found, type NetworkDecoded } from "./network-records.ts";

const UID_RE = /^[A-Za-z0-9]{1,64}$/;

/** `id.orig_h` as a flat key (Zeek's own JSON), else under a nested `id` object. */
function idField(record: Record<string, unknown>, index: number, name: string): Found | undefined {
  return findField(record, index, [`id.${name}`]) ?? findField(record, index, [name], ["id"]);
}

export function decodeZeekConn(text: string, contentType: string | null, ctx: DecodeContext): Decoded<NetworkDecoded<TelemetryEvent>> {
  return decodeNetworkRecords(text, contentType, ctx, (b, base, i) => {
    const r = base.record;
    const get = (name: string) => findField(r, i, [name]);
    b.address("src_ip", idField(r, i, "orig_h"), "id.orig_h");
    b.address("dst_ip", idField(r, i, "resp_h"), "id.resp_h");
    const proto = get("proto");
    if (proto?.value === "unknown_transport") b.problem(proto.pointer, "unknown_transport: Zeek did not recognise the transport protocol");
    else b.proto(proto, "proto");
    // For ICMP, Zeek's "ports" are the message type (orig_p) and code (resp_p).
    if (b.flow.proto === 1 || b.flow.proto === 58) {
      b.uint("icmp_type", idField(r, i, "orig_p"), 255);
      b.uint("icmp_code", idField(r, i, "resp_p"), 255);
    } else {
      b.ports(idField(r, i, "orig_p"), idField(r, i, "resp_p"), { src: "id.orig_p", dst: "id.resp_p" });
    }
    // Zeek writes "icmp" for ICMPv6 connections too.
    if (b.flow.proto === 1 && b.flow.src_ip?.includes(":")) Object.assign(b.flow, { proto: 58, proto_name: "ipv6-icmp" });
    b.uint("bytes", get("orig_bytes"));
    b.uint("packets", get("orig_pkts"));
    b.uint("resp_bytes", get("resp_bytes"));
    b.uint("resp_packets", get("resp_pkts"));
    const start = b.time(get("ts"));
    const duration = get("duration");
    let end: number | undefined;
    if (duration && start !== undefined) {
      const d = duration.value;
      if (typeof d === "number" && Number.isFinite(d) && d >= 0 && d < 1e9) end = start + Math.round(d * 1000);
      else b.problem(duration.pointer, "not a duration in seconds");
    }
    const ts = b.times(start, end, undefined, "ts");
    const uid = get("uid");
    if (uid && (typeof uid.value !== "string" || !UID_RE.test(uid.value))) b.problem(uid.pointer, "not a Zeek connection uid");
    if (ts === undefined) return undefined;
    const ev: TelemetryEvent = { ts, asset: base.asset, source: "zeek.conn", record: { ...r, [FLOW_MEMBER]: b.flow } };
    if (uid) ev.id = uid.value as string;
    return ev;
  });
}
