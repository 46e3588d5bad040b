/**
 * NetFlow v5/v9 and IPFIX records as collectors write them in JSON (`POST /v1/ingest/flows`):
 * goflow2 (`src_addr`, `time_flow_start_ns`, ...), pmacct/nfacctd (`ip_src`, `port_src`,
 * `timestamp_start`), Logstash's netflow codec (v9 names under `netflow`), IPFIX information
 * element names (`sourceIPv4Address`, `octetDeltaCount`), goflow v1 (`SrcAddr`). Each record
 * keeps every original field and gains the canonical `flow` member (network-records.ts).
 * Invalid records are refused one by one; the rest are kept. Pure.
 */
import type { TelemetryEvent } from "../../shared/events.ts";
import type { DecodeContext } from "./fixops-telemetry.ts";
import type { Decoded } from "./json-text.ts";
import { decodeNetworkRecords, findField, FLOW_MEMBER, type NetworkDecoded, type TimeUnit } from "./network-records.ts";

type Names = readonly (string | [string, TimeUnit])[];

/** Aliases of each canonical field, most specific first (docs/connectors.md lists them). */
export const FLOW_ALIASES = {
  src_ip: ["src_ip", "ipv4_src_addr", "ipv6_src_addr", "sourceIPv4Address", "sourceIPv6Address", "src_addr", "ip_src", "srcaddr", "SrcAddr"],
  dst_ip: ["dst_ip", "ipv4_dst_addr", "ipv6_dst_addr", "destinationIPv4Address", "destinationIPv6Address", "dst_addr", "ip_dst", "dstaddr", "DstAddr"],
  src_port: ["src_port", "l4_src_port", "sourceTransportPort", "port_src", "srcport", "SrcPort"],
  dst_port: ["dst_port", "l4_dst_port", "destinationTransportPort", "port_dst", "dstport", "DstPort"],
  proto: ["proto", "protocol", "protocolIdentifier", "ip_proto", "prot", "Proto"],
  bytes: ["bytes", "in_bytes", "inOctets", "octetDeltaCount", "octetTotalCount", "dOctets", "Bytes"],
  packets: ["packets", "in_pkts", "inPackets", "packetDeltaCount", "packetTotalCount", "dPkts", "Packets"],
  start: [
    "start", "flow_start", "first_switched", "flowStartMilliseconds", "flowStartSeconds", ["flowStartMicroseconds", "us"], ["flowStartNanoseconds", "ns"],
    ["time_flow_start_ns", "ns"], "timestamp_start", "TimeFlowStart",
  ],
  end: [
    "end", "flow_end", "last_switched", "flowEndMilliseconds", "flowEndSeconds", ["flowEndMicroseconds", "us"], ["flowEndNanoseconds", "ns"],
    ["time_flow_end_ns", "ns"], "timestamp_end", "TimeFlowEnd",
  ],
  seen: ["timestamp", "@timestamp", "ts", "time", ["time_received_ns", "ns"], "time_received", "timestamp_arrival", "TimeReceived"],
  exporter: ["exporter", "sampler_address", "peer_ip_src", "exporterIPv4Address", "exporterIPv6Address", "SamplerAddress"],
} as const satisfies Record<string, Names>;

/** Logstash's netflow codec nests the flow fields. */
const CONTAINERS = ["netflow", "ipfix"];
const list = (names: Names) => names.map((n) => (typeof n === "string" ? n : n[0])).slice(0, 4).join(", ");

export function decodeNetflow(text: string, contentType: string | null, ctx: DecodeContext): Decoded<NetworkDecoded<TelemetryEvent>> {
  return decodeNetworkRecords(text, contentType, ctx, (b, base, i) => {
    const get = (names: Names) => findField(base.record, i, names, CONTAINERS);
    b.address("src_ip", get(FLOW_ALIASES.src_ip), list(FLOW_ALIASES.src_ip));
    b.address("dst_ip", get(FLOW_ALIASES.dst_ip), list(FLOW_ALIASES.dst_ip));
    b.proto(get(FLOW_ALIASES.proto), list(FLOW_ALIASES.proto));
    b.ports(get(FLOW_ALIASES.src_port), get(FLOW_ALIASES.dst_port), { src: list(FLOW_ALIASES.src_port), dst: list(FLOW_ALIASES.dst_port) });
    b.uint("bytes", get(FLOW_ALIASES.bytes));
    b.uint("packets", get(FLOW_ALIASES.packets));
    b.address("exporter", get(FLOW_ALIASES.exporter), null);
    const ts = b.times(b.time(get(FLOW_ALIASES.start)), b.time(get(FLOW_ALIASES.end)), b.time(get(FLOW_ALIASES.seen)), "flow start or end, or the collector's timestamp");
    return ts === undefined ? undefined : { ts, asset: base.asset, source: "network.flow", record: { ...base.record, [FLOW_MEMBER]: b.flow } };
  });
}
