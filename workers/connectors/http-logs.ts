/**
 * Generic log records (`POST /v1/logs`): a JSON object, a JSON array of objects,
 * or NDJSON — what Fluent Bit (`json`, `json_lines`) and Vector (`ndjson`) send.
 */
import { DEFAULT_ASSET, isValidAssetId, parseTimestamp, type TelemetryEvent } from "../../shared/events.ts";
import { normalizeLevel } from "../../shared/levels.ts";
import { MAX_RECORDS_PER_REQUEST } from "../../shared/limits.ts";
import type { FieldIssue } from "../../shared/problem.ts";
import type { DecodeContext } from "./fixops-telemetry.ts";
import { JSON_LIKE_TYPES, mediaType, parseJson, parseNdjson, tooMany, type Decoded } from "./json-text.ts";

const NDJSON_TYPES = new Set(["application/x-ndjson", "application/ndjson", "application/jsonl", "application/json-lines", "application/x-jsonlines"]);
const TS_FIELDS = ["ts", "timestamp", "time", "@timestamp", "date"] as const;
const LEVEL_FIELDS = ["level", "severity", "log_level"] as const;
const MESSAGE_FIELDS = ["message", "msg", "log"] as const;

export function decodeHttpLogs(text: string, contentType: string | null, ctx: DecodeContext): Decoded<TelemetryEvent[]> {
  const mt = mediaType(contentType);
  let values: unknown[];
  if (NDJSON_TYPES.has(mt)) {
    const nd = parseNdjson(text);
    if (!nd.ok) return nd;
    values = nd.value;
  } else if (JSON_LIKE_TYPES.has(mt)) {
    const whole = parseJson(text);
    if (whole.ok) {
      values = Array.isArray(whole.value) ? whole.value : [whole.value];
    } else if (whole.error.code === "invalid_json" && text.trim().includes("\n")) {
      const nd = parseNdjson(text); // detected NDJSON
      if (!nd.ok) return nd;
      values = nd.value;
    } else {
      return whole;
    }
  } else {
    return { ok: false, error: { code: "unsupported_media_type", detail: `Expected JSON or NDJSON, got ${mt.slice(0, 64)}.` } };
  }
  if (values.length > MAX_RECORDS_PER_REQUEST) return tooMany();

  const events: TelemetryEvent[] = [];
  const issues: FieldIssue[] = [];
  values.forEach((v, i) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return issues.push({ pointer: `/${i}`, detail: "each record must be a JSON object" });
    const record = v as Record<string, unknown>;
    let asset = ctx.asset ?? DEFAULT_ASSET;
    if (record.asset !== undefined) {
      if (!isValidAssetId(record.asset)) return issues.push({ pointer: `/${i}/asset`, detail: "not a valid asset id (1-128 of [A-Za-z0-9._:/@-])" });
      asset = record.asset;
    }
    let ts = ctx.receivedAt;
    const tsField = TS_FIELDS.find((f) => record[f] !== undefined && record[f] !== null);
    if (tsField) {
      const parsed = parseTimestamp(record[tsField]);
      if (parsed === null) return issues.push({ pointer: `/${i}/${escapePointer(tsField)}`, detail: "not an ISO 8601 time or epoch seconds/milliseconds" });
      ts = parsed;
    }
    const ev: TelemetryEvent = { ts, asset, source: "http", record };
    const level = normalizeLevel(firstString(record, LEVEL_FIELDS));
    if (level !== undefined) ev.level = level;
    const message = firstString(record, MESSAGE_FIELDS);
    if (message !== undefined) ev.message = message;
    events.push(ev);
  });
  if (issues.length) {
    return { ok: false, error: { code: "unprocessable", detail: `${issues.length} record(s) are invalid; nothing was stored.`, errors: issues.slice(0, 100) } };
  }
  return { ok: true, value: events };
}

function firstString(record: Record<string, unknown>, fields: readonly string[]): string | undefined {
  for (const f of fields) if (typeof record[f] === "string") return record[f] as string;
  return undefined;
}

/** RFC 6901 escaping of one reference token. */
export function escapePointer(token: string): string {
  return token.replaceAll("~", "~0").replaceAll("/", "~1");
}
