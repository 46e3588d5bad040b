/**
 * AWS CloudWatch Logs subscription payloads, as a forwarder (Lambda) passes them on:
 * `{"awslogs":{"data": base64(gzip(json))}}`, the JSON being
 * `{messageType, owner, logGroup, logStream, subscriptionFilters, logEvents:[{id, timestamp, message}]}`.
 * One event per log event; CONTROL_MESSAGE (CloudWatch's health check) yields none.
 * Asset: the request's (header/query), else the log group. The record is the log message,
 * parsed when it is a JSON object (WAF, VPC flow and app logs mostly are), else {message}.
 */
import { DEFAULT_ASSET, isValidAssetId, parseTimestamp, type TelemetryEvent } from "../../shared/events.ts";
import { fromBase64 } from "../../shared/hex.ts";
import { normalizeLevel } from "../../shared/levels.ts";
import { MAX_BODY_BYTES, MAX_RECORDS_PER_REQUEST } from "../../shared/limits.ts";
import type { FieldIssue } from "../../shared/problem.ts";
import { ApiError } from "../api-error.ts";
import { gunzipText } from "../body.ts";
import type { DecodeContext } from "./fixops-telemetry.ts";
import { JSON_LIKE_TYPES, mediaType, parseJson, tooMany, type Decoded } from "./json-text.ts";

export interface CloudWatchPayload {
  messageType: "DATA_MESSAGE" | "CONTROL_MESSAGE";
  logGroup: string;
  logStream: string;
  logEvents: { id: string; timestamp: number; message: string }[];
}

const invalid = (detail: string, errors: FieldIssue[] = []): Decoded<never> => ({ ok: false, error: { code: "unprocessable", detail, ...(errors.length ? { errors } : {}) } });

/** Validate a decoded subscription payload (shared with the Firehose connector). */
export function decodeSubscriptionPayload(v: unknown, at = ""): Decoded<CloudWatchPayload> {
  const p = v as Record<string, unknown>;
  if (typeof p !== "object" || p === null || Array.isArray(p)) return invalid("The CloudWatch Logs payload is not an object.", [{ pointer: at, detail: "must be an object" }]);
  if (p.messageType === "CONTROL_MESSAGE") return { ok: true, value: { messageType: "CONTROL_MESSAGE", logGroup: "", logStream: "", logEvents: [] } };
  const issues: FieldIssue[] = [];
  if (p.messageType !== "DATA_MESSAGE") issues.push({ pointer: `${at}/messageType`, detail: "must be DATA_MESSAGE or CONTROL_MESSAGE" });
  if (typeof p.logGroup !== "string") issues.push({ pointer: `${at}/logGroup`, detail: "required; a string" });
  if (typeof p.logStream !== "string") issues.push({ pointer: `${at}/logStream`, detail: "required; a string" });
  if (!Array.isArray(p.logEvents)) issues.push({ pointer: `${at}/logEvents`, detail: "required; an array" });
  const events: CloudWatchPayload["logEvents"] = [];
  if (Array.isArray(p.logEvents)) {
    if (p.logEvents.length > MAX_RECORDS_PER_REQUEST) return tooMany();
    p.logEvents.forEach((e, i) => {
      const ev = e as Record<string, unknown>;
      const ptr = `${at}/logEvents/${i}`;
      if (typeof ev !== "object" || ev === null) return issues.push({ pointer: ptr, detail: "must be an object" });
      if (typeof ev.id !== "string" || ev.id.length > 128) issues.push({ pointer: `${ptr}/id`, detail: "required; a string" });
      if (typeof ev.timestamp !== "number" || parseTimestamp(ev.timestamp) === null) issues.push({ pointer: `${ptr}/timestamp`, detail: "required; epoch milliseconds" });
      if (typeof ev.message !== "string") issues.push({ pointer: `${ptr}/message`, detail: "required; a string" });
      else events.push({ id: ev.id as string, timestamp: ev.timestamp as number, message: ev.message });
    });
  }
  if (issues.length) return invalid("The CloudWatch Logs payload is invalid; nothing was stored.", issues.slice(0, 100));
  return { ok: true, value: { messageType: "DATA_MESSAGE", logGroup: p.logGroup as string, logStream: p.logStream as string, logEvents: events } };
}

/** One TelemetryEvent per log event of a DATA_MESSAGE. */
export function subscriptionEvents(payload: CloudWatchPayload, source: "aws.cloudwatch" | "aws.firehose", ctx: DecodeContext): TelemetryEvent[] {
  const asset = ctx.asset ?? (isValidAssetId(payload.logGroup) ? payload.logGroup : DEFAULT_ASSET);
  return payload.logEvents.map((e) => {
    const parsed = e.message.trimStart().startsWith("{") ? parseJson(e.message) : undefined;
    const record = parsed?.ok && typeof parsed.value === "object" && parsed.value !== null && !Array.isArray(parsed.value)
      ? (parsed.value as Record<string, unknown>)
      : { message: e.message };
    const ev: TelemetryEvent = { ts: parseTimestamp(e.timestamp)!, asset, source, id: e.id, record, message: e.message };
    const level = normalizeLevel(record.level ?? record.severity ?? record.log_level);
    if (level) ev.level = level;
    return ev;
  });
}

/** Base64 of gzip of a subscription payload, bounded, to its parsed JSON. */
export function inflateAwslogs(data: unknown, at: string): Decoded<unknown> {
  if (typeof data !== "string" || data.length === 0) return invalid("awslogs.data must be a base64 string.", [{ pointer: at, detail: "required; base64" }]);
  if (data.length > (MAX_BODY_BYTES * 4) / 3 + 4) return { ok: false, error: { code: "payload_too_large", detail: "awslogs.data is too large." } };
  const gz = fromBase64(data);
  if (!gz) return { ok: false, error: { code: "invalid_encoding", detail: "awslogs.data is not base64.", errors: [{ pointer: at, detail: "not base64" }] } };
  let text: string;
  try {
    text = gunzipText(gz);
  } catch (e) {
    if (e instanceof ApiError) return { ok: false, error: { code: e.code, detail: `awslogs.data: ${e.message}`, errors: [{ pointer: at, detail: e.message }] } };
    throw e;
  }
  return parseJson(text, at);
}

export function decodeCloudWatch(text: string, contentType: string | null, ctx: DecodeContext): Decoded<TelemetryEvent[]> {
  if (!JSON_LIKE_TYPES.has(mediaType(contentType))) {
    return { ok: false, error: { code: "unsupported_media_type", detail: "Expected application/json." } };
  }
  const body = parseJson(text);
  if (!body.ok) return body;
  const awslogs = (body.value as { awslogs?: { data?: unknown } } | null)?.awslogs;
  if (typeof awslogs !== "object" || awslogs === null) return invalid('Expected {"awslogs":{"data":"<base64 gzip>"}}.', [{ pointer: "/awslogs", detail: "required" }]);
  const inflated = inflateAwslogs(awslogs.data, "/awslogs/data");
  if (!inflated.ok) return inflated;
  const payload = decodeSubscriptionPayload(inflated.value);
  if (!payload.ok) return payload;
  return { ok: true, value: subscriptionEvents(payload.value, "aws.cloudwatch", ctx) };
}
