/**
 * What the network telemetry decoders (netflow.ts, zeek.ts) share: reading a body of records
 * where each record stands alone (one bad line refuses that record, not the request), field
 * value readers for addresses, ports, protocols, counters and times, and the canonical `flow`
 * member they add to each record. Pure.
 */
import { formatIp, parseIp } from "../../shared/enrichment/ip-address.ts";
import { ENRICHMENT_MEMBER } from "../../shared/enrichment/enrich.ts";
import { DEFAULT_ASSET, isoMillis, isValidAssetId, parseTimestamp, type TelemetryEvent } from "../../shared/events.ts";
import { MAX_NDJSON_LINE_BYTES, MAX_RECORDS_PER_REQUEST } from "../../shared/limits.ts";
import { utf8Length } from "../../shared/utf8.ts";
import type { DecodeContext } from "./fixops-telemetry.ts";
import { escapePointer } from "./http-logs.ts";
import { JSON_LIKE_TYPES, mediaType, parseJson, tooMany, type Decoded } from "./json-text.ts";

/** One refused record of a batch: its index in the body, where, and why. */
export interface RecordIssue {
  index: number;
  pointer: string;
  detail: string;
}

export interface NetworkDecoded<E> {
  events: E[];
  refused: RecordIssue[];
}

/** The member holding the canonical fields; a record's own member of this name is refused. */
export const FLOW_MEMBER = "flow";

/** Canonical flow fields (docs/connectors.md): addresses in canonical text, times ISO 8601 UTC. */
export interface CanonicalFlow {
  src_ip: string;
  dst_ip: string;
  proto: number;
  proto_name?: string;
  src_port?: number;
  dst_port?: number;
  icmp_type?: number;
  icmp_code?: number;
  bytes?: number;
  packets?: number;
  resp_bytes?: number;
  resp_packets?: number;
  start?: string;
  end?: string;
  duration_ms?: number;
  exporter?: string;
}

const NDJSON_TYPES = new Set(["application/x-ndjson", "application/ndjson", "application/jsonl", "application/json-lines", "application/x-jsonlines"]);

/**
 * Records of a body: NDJSON (one object per line, what goflow2, pmacct and Zeek write), or a
 * JSON array or object. In NDJSON a line that is not JSON refuses that record only.
 */
export function parseRecords(text: string, contentType: string | null): Decoded<{ values: unknown[]; refused: RecordIssue[] }> {
  const mt = mediaType(contentType);
  if (!NDJSON_TYPES.has(mt) && !JSON_LIKE_TYPES.has(mt)) {
    return { ok: false, error: { code: "unsupported_media_type", detail: `Expected NDJSON or JSON, got ${mt.slice(0, 64)}.` } };
  }
  if (!NDJSON_TYPES.has(mt)) {
    const whole = parseJson(text);
    if (whole.ok) {
      const values = Array.isArray(whole.value) ? whole.value : [whole.value];
      return values.length > MAX_RECORDS_PER_REQUEST ? tooMany() : { ok: true, value: { values, refused: [] } };
    }
    // Not one JSON value: NDJSON when it has several lines (JSON.parse stops at the second).
    if (whole.error.code !== "invalid_json" || !text.trim().includes("\n")) return whole;
  }
  const values: unknown[] = [];
  const refused: RecordIssue[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    if (values.length >= MAX_RECORDS_PER_REQUEST) return tooMany();
    const index = values.length;
    values.push(undefined);
    if (line.length > MAX_NDJSON_LINE_BYTES / 3 && utf8Length(line) > MAX_NDJSON_LINE_BYTES) {
      refused.push({ index, pointer: `/${index}`, detail: `line longer than ${MAX_NDJSON_LINE_BYTES} bytes` });
      continue;
    }
    const parsed = parseJson(line, `/${index}`);
    if (parsed.ok) values[index] = parsed.value;
    else refused.push({ index, pointer: `/${index}`, detail: parsed.error.detail });
  }
  return { ok: true, value: { values, refused } };
}

/** IANA protocol numbers by the names exporters and Zeek write. */
const PROTOCOL_NUMBERS: Record<string, number> = {
  icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, "ipv6-icmp": 58, icmpv6: 58, eigrp: 88, ospf: 89, ospfigp: 89,
  pim: 103, vrrp: 112, sctp: 132, udplite: 136, dccp: 33,
};
const PROTOCOL_NAMES: Record<number, string> = { 1: "icmp", 2: "igmp", 6: "tcp", 17: "udp", 33: "dccp", 47: "gre", 50: "esp", 51: "ah", 58: "ipv6-icmp", 88: "eigrp", 89: "ospf", 103: "pim", 112: "vrrp", 132: "sctp", 136: "udplite" };
/** Protocols whose flows have ports: TCP, UDP, DCCP, SCTP, UDP-Lite. */
export const PORT_PROTOCOLS = new Set([6, 17, 33, 132, 136]);

/** A protocol number or name -> IANA number; null when neither. */
export function protocolOf(v: unknown): number | null {
  if (typeof v === "number") return Number.isInteger(v) && v >= 0 && v <= 255 ? v : null;
  if (typeof v !== "string" || v.length > 16) return null;
  if (/^\d{1,3}$/.test(v)) return protocolOf(Number(v));
  return PROTOCOL_NUMBERS[v.toLowerCase()] ?? null;
}

export const protocolName = (n: number): string | undefined => PROTOCOL_NAMES[n];

/** An integer in [0, max] (a number or a decimal string); null when not. */
export function uintOf(v: unknown, max = Number.MAX_SAFE_INTEGER): number | null {
  const n = typeof v === "string" && /^\d{1,16}$/.test(v) ? Number(v) : v;
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 && n <= max ? n : null;
}

export type TimeUnit = "auto" | "us" | "ns";
const MS_PER: Record<Exclude<TimeUnit, "auto">, bigint> = { us: 1_000n, ns: 1_000_000n };
/** Years 1970-9999, as parseTimestamp keeps them. */
const MAX_TS_MS = 253402300799999;
/** "2024-01-02 10:00:00.123456" (pmacct): read as UTC. */
const SPACE_TIME_RE = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)$/;

/**
 * Epoch ms from a time field: ISO 8601 or pmacct's "YYYY-MM-DD HH:MM:SS[.f]" (UTC), or epoch
 * seconds or milliseconds (auto, as /v1/logs reads them), or microseconds or nanoseconds for
 * fields named so (decimal digits; nanoseconds exceed 2^53, so strings are exact). Null when unusable.
 */
export function timeOf(v: unknown, unit: TimeUnit = "auto"): number | null {
  if (unit !== "auto") {
    let big: bigint | null = null;
    if (typeof v === "string" && /^\d{1,22}$/.test(v)) big = BigInt(v);
    else if (typeof v === "number" && Number.isFinite(v) && v >= 0 && v < 1e22) big = BigInt(Math.floor(v));
    if (big === null) return null;
    const ms = Number(big / MS_PER[unit]);
    return ms <= MAX_TS_MS ? ms : null;
  }
  if (typeof v === "string") {
    const m = SPACE_TIME_RE.exec(v);
    if (m) return parseTimestamp(`${m[1]}T${m[2]}Z`);
  }
  return parseTimestamp(v);
}

/** A field found under one of its names: the value and its pointer. */
export interface Found { value: unknown; pointer: string; unit: TimeUnit }

/** The first of `names` present (not null) in `record` or in its `containers` (e.g. Logstash's "netflow"). */
export function findField(record: Record<string, unknown>, index: number, names: readonly (string | [string, TimeUnit])[], containers: readonly string[] = []): Found | undefined {
  const places: [Record<string, unknown>, string][] = [[record, `/${index}`]];
  for (const c of containers) {
    const inner = record[c];
    if (typeof inner === "object" && inner !== null && !Array.isArray(inner)) places.push([inner as Record<string, unknown>, `/${index}/${escapePointer(c)}`]);
  }
  for (const [obj, base] of places) {
    for (const n of names) {
      const [name, unit] = typeof n === "string" ? [n, "auto" as const] : n;
      if (Object.hasOwn(obj, name) && obj[name] !== null && obj[name] !== undefined && obj[name] !== "") {
        return { value: obj[name], pointer: `${base}/${escapePointer(name)}`, unit };
      }
    }
  }
  return undefined;
}

/** Collects one record's problems and the canonical flow as its fields are read. */
export class FlowBuilder {
  readonly issues: RecordIssue[] = [];
  readonly flow: Partial<CanonicalFlow> = {};
  readonly #index: number;
  constructor(index: number) { this.#index = index; }

  problem(pointer: string, detail: string): void {
    this.issues.push({ index: this.#index, pointer, detail });
  }

  address(key: "src_ip" | "dst_ip" | "exporter", f: Found | undefined, required: string | null): void {
    if (!f) { if (required) this.problem(`/${this.#index}`, `${key} is required (${required})`); return; }
    const ip = parseIp(f.value);
    if (ip) this.flow[key] = formatIp(ip);
    else this.problem(f.pointer, "not an IPv4 or IPv6 address");
  }

  uint(key: "src_port" | "dst_port" | "icmp_type" | "icmp_code" | "bytes" | "packets" | "resp_bytes" | "resp_packets", f: Found | undefined, max?: number): void {
    if (!f) return;
    const n = uintOf(f.value, max);
    if (n === null) this.problem(f.pointer, max === undefined ? "not a non-negative integer" : `not an integer from 0 to ${max}`);
    else this.flow[key] = n;
  }

  /** Epoch ms of a time field, or undefined (absent or refused). */
  time(f: Found | undefined): number | undefined {
    if (!f) return undefined;
    const ms = timeOf(f.value, f.unit);
    if (ms === null) { this.problem(f.pointer, "not a time (ISO 8601, or epoch seconds, milliseconds, microseconds or nanoseconds as named)"); return undefined; }
    return ms;
  }

  /** Ports are required for protocols that have them. */
  ports(src: Found | undefined, dst: Found | undefined, names: { src: string; dst: string }): void {
    if (this.flow.proto !== undefined && PORT_PROTOCOLS.has(this.flow.proto)) {
      if (!src) this.problem(`/${this.#index}`, `src_port is required for ${protocolName(this.flow.proto)} (${names.src})`);
      if (!dst) this.problem(`/${this.#index}`, `dst_port is required for ${protocolName(this.flow.proto)} (${names.dst})`);
    }
    this.uint("src_port", src, 65_535);
    this.uint("dst_port", dst, 65_535);
  }

  proto(f: Found | undefined, names: string): void {
    if (!f) { this.problem(`/${this.#index}`, `proto is required (${names})`); return; }
    const n = protocolOf(f.value);
    if (n === null) { this.problem(f.pointer, "not a protocol number (0-255) or a known protocol name"); return; }
    this.flow.proto = n;
    const name = protocolName(n);
    if (name) this.flow.proto_name = name;
  }

  /** Event time: the flow's start, else its end, else when the collector saw it; one of them is required. */
  times(start: number | undefined, end: number | undefined, seen: number | undefined, names: string): number | undefined {
    if (start !== undefined) this.flow.start = isoMillis(start);
    if (end !== undefined) this.flow.end = isoMillis(end);
    if (start !== undefined && end !== undefined && end >= start) this.flow.duration_ms = end - start;
    const ts = start ?? end ?? seen;
    if (ts === undefined && !this.issues.some((i) => i.detail.startsWith("not a time"))) this.problem(`/${this.#index}`, `a time is required (${names})`);
    return ts;
  }
}

/** A record's object, its asset (its own `asset`, else the request's, else "default"), and reserved members refused. */
export function recordBase(v: unknown, index: number, ctx: DecodeContext, b: FlowBuilder): { record: Record<string, unknown>; asset: string } | null {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    b.problem(`/${index}`, "each record must be a JSON object");
    return null;
  }
  const record = v as Record<string, unknown>;
  for (const reserved of [FLOW_MEMBER, ENRICHMENT_MEMBER]) {
    if (Object.hasOwn(record, reserved)) b.problem(`/${index}/${reserved}`, `"${reserved}" is reserved for the bridge's canonical fields and enrichment`);
  }
  let asset = ctx.asset ?? DEFAULT_ASSET;
  if (record.asset !== undefined) {
    if (isValidAssetId(record.asset)) asset = record.asset;
    else b.problem(`/${index}/asset`, "not a valid asset id (1-128 of [A-Za-z0-9._:/@-])");
  }
  return { record, asset };
}

/**
 * The per-record loop both network decoders share: parse the body, pass each record not already
 * refused to `build` (which fills the FlowBuilder and returns the event, or undefined), keep the
 * events, and list every refused record's issues by index.
 */
export function decodeNetworkRecords(
  text: string, contentType: string | null, ctx: DecodeContext,
  build: (b: FlowBuilder, base: { record: Record<string, unknown>; asset: string }, index: number) => TelemetryEvent | undefined,
): Decoded<NetworkDecoded<TelemetryEvent>> {
  const parsed = parseRecords(text, contentType);
  if (!parsed.ok) return parsed;
  const { values, refused } = parsed.value;
  const events: TelemetryEvent[] = [];
  const skip = new Set(refused.map((r) => r.index));
  values.forEach((v, i) => {
    if (skip.has(i)) return;
    const b = new FlowBuilder(i);
    const base = recordBase(v, i, ctx, b);
    const ev = base ? build(b, base, i) : undefined;
    if (ev && !b.issues.length) events.push(ev);
    else refused.push(...b.issues);
  });
  return { ok: true, value: { events, refused: refused.sort((a, b) => a.index - b.index) } };
}
