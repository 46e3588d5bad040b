/**
 * Amazon Data Firehose HTTP endpoint deliveries (protocol 1.0):
 * `{"requestId", "timestamp", "records":[{"data": base64}]}`. Each record is sniffed: gzip is
 * inflated (bounded, across the whole request); a CloudWatch Logs subscription payload expands to
 * one event per log event (CONTROL_MESSAGE to none); other data is a JSON object, a JSON array,
 * NDJSON, or plain text (one event per non-empty line).
 */
import { DEFAULT_ASSET, isValidAssetId, parseTimestamp, type TelemetryEvent } from "../../shared/events.ts";
import { fromBase64 } from "../../shared/hex.ts";
import { utf8Length } from "../../shared/utf8.ts";
import { normalizeLevel } from "../../shared/levels.ts";
import { MAX_DECOMPRESSED_BYTES, MAX_RECORDS_PER_REQUEST } from "../../shared/limits.ts";
import { ApiError } from "../api-error.ts";
import { gunzipText } from "../body.ts";
import { decodeSubscriptionPayload, subscriptionEvents } from "./aws-cloudwatch.ts";
import type { DecodeContext } from "./fixops-telemetry.ts";
import { parseJson, unstorable, type Decoded, type DecodeProblem } from "./json-text.ts";

export interface FirehoseRequest {
  requestId: string;
  timestamp: number;
  events: TelemetryEvent[];
}

const TS_FIELDS = ["ts", "timestamp", "time", "@timestamp", "date"] as const;
const bad = (code: DecodeProblem["code"], detail: string, pointer?: string): { ok: false; error: DecodeProblem } =>
  ({ ok: false, error: { code, detail, ...(pointer !== undefined ? { errors: [{ pointer, detail }] } : {}) } });

/** The requestId of a body, when it has one (for error answers to malformed requests). */
export function firehoseRequestId(text: string): string | undefined {
  const m = /"requestId"\s*:\s*"([^"\\]{1,128})"/.exec(text.slice(0, 4096));
  return m?.[1];
}

/** Common attributes from `X-Amz-Firehose-Common-Attributes: {"commonAttributes":{…}}`. */
export function commonAttributes(header: string | null): Record<string, string> {
  if (!header || header.length > 8192) return {};
  const parsed = parseJson(header);
  const attrs = parsed.ok ? (parsed.value as { commonAttributes?: unknown })?.commonAttributes : undefined;
  if (typeof attrs !== "object" || attrs === null) return {};
  return Object.fromEntries(Object.entries(attrs).filter((e): e is [string, string] => typeof e[1] === "string"));
}

export function decodeFirehose(text: string, ctx: DecodeContext & { headerRequestId?: string; attributes?: Record<string, string> }): Decoded<FirehoseRequest> {
  const body = parseJson(text);
  if (!body.ok) return body;
  const b = body.value as { requestId?: unknown; timestamp?: unknown; records?: unknown };
  if (typeof b !== "object" || b === null) return bad("unprocessable", "The body must be a Firehose delivery object.", "");
  if (typeof b.requestId !== "string" || b.requestId.length === 0 || b.requestId.length > 128) return bad("unprocessable", "requestId is required.", "/requestId");
  if (ctx.headerRequestId !== undefined && ctx.headerRequestId !== b.requestId) {
    return bad("invalid_parameter", "X-Amz-Firehose-Request-Id differs from the body's requestId.", "/headers/x-amz-firehose-request-id");
  }
  const timestamp = typeof b.timestamp === "number" ? parseTimestamp(b.timestamp) : null;
  if (timestamp === null) return bad("unprocessable", "timestamp is required (epoch milliseconds).", "/timestamp");
  if (!Array.isArray(b.records)) return bad("unprocessable", "records is required (an array).", "/records");
  if (b.records.length > MAX_RECORDS_PER_REQUEST) return bad("payload_too_large", `More than ${MAX_RECORDS_PER_REQUEST} records.`);

  const attrs = ctx.attributes ?? {};
  const requestAsset = [attrs.asset, ctx.asset].find(isValidAssetId);
  const events: TelemetryEvent[] = [];
  let inflated = 0;
  for (const [i, r] of b.records.entries()) {
    const at = `/records/${i}/data`;
    const data = (r as { data?: unknown } | null)?.data;
    if (typeof data !== "string") return bad("unprocessable", "Each record needs data (base64).", at);
    const bytes = fromBase64(data);
    if (!bytes) return bad("invalid_encoding", "Record data is not base64.", at);
    let recordText: string;
    try {
      const gz = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
      recordText = gz ? gunzipText(bytes, MAX_DECOMPRESSED_BYTES - inflated) : new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch (e) {
      if (e instanceof ApiError) return bad(e.code, `Record ${i}: ${e.message}`, at);
      return bad("invalid_encoding", `Record ${i} is not UTF-8 text.`, at);
    }
    inflated += utf8Length(recordText);
    if (inflated > MAX_DECOMPRESSED_BYTES) return bad("payload_too_large", `Records inflate beyond ${MAX_DECOMPRESSED_BYTES} bytes.`);
    const recordCtx: DecodeContext = { receivedAt: timestamp, ...(requestAsset ? { asset: requestAsset } : {}) };
    const decoded = recordEvents(recordText, recordCtx, `${b.requestId}:${i}`, at, MAX_RECORDS_PER_REQUEST - events.length);
    if (!decoded.ok) return decoded;
    for (const ev of decoded.value) events.push(ev);
  }
  return { ok: true, value: { requestId: b.requestId, timestamp, events } };
}

/** One record's events: a CloudWatch payload, JSON object(s), NDJSON, or text lines. */
function recordEvents(text: string, ctx: DecodeContext, id: string, at: string, allowance: number): Decoded<TelemetryEvent[]> {
  const tooMany = () => bad("payload_too_large", `More than ${MAX_RECORDS_PER_REQUEST} events in one delivery.`, at);
  const whole = text.trim() ? parseJson(text) : undefined;
  if (whole?.ok && typeof whole.value === "object" && whole.value !== null && "messageType" in whole.value) {
    const payload = decodeSubscriptionPayload(whole.value, at);
    if (!payload.ok) return payload;
    if (payload.value.logEvents.length > allowance) return tooMany();
    return { ok: true, value: subscriptionEvents(payload.value, "aws.firehose", ctx) };
  }
  let values: unknown[] = [];
  if (whole?.ok) values = Array.isArray(whole.value) ? whole.value : [whole.value];
  else if (whole && whole.error.code !== "invalid_json") return whole;
  else {
    // Line by line, stopping as soon as the allowance is used up.
    for (let start = 0; start < text.length; ) {
      const nl = text.indexOf("\n", start);
      const l = text.slice(start, nl === -1 ? text.length : nl);
      start = nl === -1 ? text.length : nl + 1;
      if (!l.trim()) continue;
      if (values.length >= allowance) return tooMany();
      const p = l.trimStart().startsWith("{") ? parseJson(l) : undefined;
      values.push(p?.ok ? p.value : { message: l.replace(/\r$/, "") });
    }
  }
  if (values.length > allowance) return tooMany();
  const events: TelemetryEvent[] = [];
  for (const [j, v] of values.entries()) {
    if (unstorable(v)) return bad("unprocessable", "A record value cannot be stored.", at);
    const record = typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : { message: String(v) };
    const tsField = TS_FIELDS.find((f) => record[f] !== undefined && record[f] !== null);
    const ts = tsField ? parseTimestamp(record[tsField]) ?? ctx.receivedAt : ctx.receivedAt;
    const asset = isValidAssetId(record.asset) ? record.asset : ctx.asset ?? DEFAULT_ASSET;
    const ev: TelemetryEvent = { ts, asset, source: "aws.firehose", id: values.length > 1 ? `${id}:${j}` : id, record };
    const level = normalizeLevel(record.level ?? record.severity ?? record.log_level);
    if (level) ev.level = level;
    if (typeof record.message === "string") ev.message = record.message;
    events.push(ev);
  }
  return { ok: true, value: events };
}
