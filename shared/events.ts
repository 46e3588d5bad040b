/**
 * TelemetryEvent (DESIGN.md section 4) and the stored-line contract (section 5):
 * pure helpers shared by connectors, the AssetLog DO and the CLI.
 */
import type { EventFacts } from "./aggregates/event-facts.ts";
import { MAX_ASSET_ID_LENGTH } from "./limits.ts";

export const EVENT_SOURCES = [
  "fixops", "http", "aws.cloudwatch", "aws.firehose", "gcp.pubsub",
  "azure.eventhub", "azure.eventgrid", "otlp", "splunk.hec",
  // Network telemetry (POST /v1/ingest/flows, /v1/ingest/zeek): added with those routes, existing values unchanged.
  "network.flow", "zeek.conn",
] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];
/** Lines the bridge writes itself: alert openings and lifecycle changes (docs/alerts.md). */
export const ALERT_SOURCE = "bridge.alert";
export type StoredSource = EventSource | typeof ALERT_SOURCE;

export interface TelemetryEvent {
  /** Event time, epoch ms (from the source, else receive time). */
  ts: number;
  asset: string;
  source: EventSource;
  /** Source message id, used to drop redeliveries. */
  id?: string;
  level?: string;
  message?: string;
  attrs?: Record<string, unknown>;
  /** The original record as received. */
  record: Record<string, unknown>;
}

/**
 * What the edge hands to AssetLog.append: the record already in canonical JSON,
 * so the DO (single writer, the hot spot) only concatenates.
 */
export interface PreparedEvent {
  ts: number;
  source: StoredSource;
  id?: string;
  /** JCS serialisation of the record. */
  recordJcs: string;
  /** Level, latency, rule verdicts: what aggregates and alerts need (not stored in the line). */
  facts?: EventFacts;
}

export const DEFAULT_ASSET = "default";
const ASSET_ID_RE = /^[A-Za-z0-9._:/@-]+$/;

/**
 * "." and ".." fit the character set but are path segments every URL parser resolves: no
 * `/v1/assets/{asset}/...` route could name them, and object stores refuse them in keys.
 */
export function isValidAssetId(s: unknown): s is string {
  return typeof s === "string" && s.length >= 1 && s.length <= MAX_ASSET_ID_LENGTH && ASSET_ID_RE.test(s) && s !== "." && s !== "..";
}

/** Timestamps are kept only in this range (years 1970..9999). */
const MAX_TS_MS = 253402300799999;
/** Epoch numbers below this are seconds, above are milliseconds (1e11 s is the year 5138). */
const EPOCH_SECONDS_BELOW = 1e11;

/** Parse a record timestamp (ISO 8601 string, or epoch seconds/ms as number or numeric string); null if unusable. */
export function parseTimestamp(v: unknown): number | null {
  let ms: number;
  if (typeof v === "number") {
    ms = v < EPOCH_SECONDS_BELOW ? v * 1000 : v;
  } else if (typeof v === "string" && v.length > 0 && v.length <= 64) {
    if (/^\d+(\.\d+)?$/.test(v)) return parseTimestamp(Number(v));
    ms = Date.parse(v);
  } else {
    return null;
  }
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TS_MS) return null;
  return Math.floor(ms);
}

/** ISO 8601 UTC with milliseconds, as stored lines carry it. */
export function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The stored line for one event (DESIGN.md section 5, a contract): the JCS
 * serialisation of {asset,id?,record,rts,seq,source,ts}. Built by
 * concatenation in JCS key order; `recordJcs` must already be canonical.
 */
export function storedLine(asset: string, seq: number, rtsMs: number, ev: PreparedEvent): string {
  return storedLines(asset, seq, rtsMs, [ev])[0]!;
}

/**
 * The stored lines of a batch received at `rtsMs`, seq from `firstSeq` on: storedLine of each
 * event, with what they share formatted once (the asset, `rts`; `ts` and `source` while they
 * repeat: a Date's toISOString costs about a microsecond, and a batch's events mostly share both).
 */
export function storedLines(asset: string, firstSeq: number, rtsMs: number, events: readonly PreparedEvent[]): string[] {
  const head = `{"asset":${JSON.stringify(asset)}`;
  const rts = `,"rts":"${isoMillis(rtsMs)}","seq":`;
  let ts = NaN;
  let source = "";
  let tail = "";
  const out = new Array<string>(events.length);
  for (let i = 0; i < events.length; i++) {
    const ev = events[i]!;
    if (ev.ts !== ts || ev.source !== source) {
      ts = ev.ts;
      source = ev.source;
      tail = `,"source":${JSON.stringify(source)},"ts":"${isoMillis(ts)}"}`;
    }
    const id = ev.id === undefined ? "" : `,"id":${JSON.stringify(ev.id)}`;
    out[i] = `${head}${id},"record":${ev.recordJcs}${rts}${firstSeq + i}${tail}`;
  }
  return out;
}
