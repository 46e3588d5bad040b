/**
 * Google Cloud Pub/Sub push deliveries: wrapped (`{"message":{"data","attributes","messageId",
 * "publishTime"},"subscription"}`) or unwrapped (the payload itself, metadata in `x-goog-pubsub-*`
 * headers). The data is a Cloud Logging LogEntry, an array of them, other JSON, or text.
 * Asset: the LogEntry's resource (`<resource.type>/<main label>`, e.g. `http_load_balancer/web-be`),
 * else the log id, unless the request names one.
 */
import { DEFAULT_ASSET, isValidAssetId, parseTimestamp, type TelemetryEvent } from "../../shared/events.ts";
import { fromBase64 } from "../../shared/hex.ts";
import { normalizeLevel } from "../../shared/levels.ts";
import { MAX_RECORDS_PER_REQUEST } from "../../shared/limits.ts";
import type { DecodeContext } from "./fixops-telemetry.ts";
import { parseJson, unstorable, type Decoded, type DecodeProblem } from "./json-text.ts";

export interface PubSubDelivery {
  /** The message id; undefined for unwrapped pushes sent without metadata headers. */
  messageId?: string;
  /** The subscription, when the push says (its message ids are unique per topic only). */
  subscription?: string;
  events: TelemetryEvent[];
}

/** Resource labels that name the thing a log is about, most specific first. */
const ASSET_LABELS = ["backend_service_name", "service_name", "function_name", "cluster_name", "instance_id", "bucket_name", "database_id", "forwarding_rule_name"];

const bad = (code: DecodeProblem["code"], detail: string, pointer?: string): { ok: false; error: DecodeProblem } =>
  ({ ok: false, error: { code, detail, ...(pointer !== undefined ? { errors: [{ pointer, detail }] } : {}) } });

/** The asset a LogEntry is about, or undefined when it has no resource or log name to go by. */
export function logEntryAsset(entry: Record<string, unknown>): string | undefined {
  const resource = entry.resource as { type?: unknown; labels?: Record<string, unknown> } | undefined;
  const rawLogId = typeof entry.logName === "string" ? entry.logName.split("/logs/")[1] ?? "" : "";
  let logId = rawLogId;
  try {
    logId = decodeURIComponent(rawLogId);
  } catch {
    // a malformed escape: keep the log id as it came
  }
  if (resource && typeof resource.type === "string") {
    const label = ASSET_LABELS.map((l) => resource.labels?.[l]).find((v) => typeof v === "string" && v);
    const candidate = label ? `${resource.type}/${label as string}` : logId ? `${resource.type}/${logId}` : resource.type;
    if (isValidAssetId(candidate)) return candidate;
  }
  return isValidAssetId(logId) ? logId : undefined;
}

function isLogEntry(v: Record<string, unknown>): boolean {
  return typeof v.logName === "string" || "jsonPayload" in v || "textPayload" in v || "protoPayload" in v;
}

export function decodePubSub(text: string, headers: Headers, ctx: DecodeContext): Decoded<PubSubDelivery> {
  const body = parseJson(text);
  const headerId = headers.get("x-goog-pubsub-message-id") ?? undefined;
  const message = body.ok ? (body.value as { message?: unknown } | null)?.message : undefined;
  // Wrapped: {"message":{…}} — unless the push carries metadata headers (then the body is the payload).
  const wrapped = headerId === undefined && typeof message === "object" && message !== null && !Array.isArray(message);
  let payload: string;
  let messageId: string | undefined;
  let subscription: string | undefined;
  let publishTime: number | null = null;
  if (wrapped) {
    const m = message as Record<string, unknown>;
    messageId = [m.messageId, m.message_id].find((v): v is string => typeof v === "string" && v.length > 0 && v.length <= 128);
    if (!messageId) return bad("unprocessable", "message.messageId is required.", "/message/messageId");
    const sub = body.ok ? (body.value as { subscription?: unknown }).subscription : undefined;
    if (typeof sub === "string" && sub.length <= 512) subscription = sub;
    publishTime = parseTimestamp(m.publishTime ?? m.publish_time);
    if (m.data === undefined) return { ok: true, value: { messageId, ...(subscription ? { subscription } : {}), events: [] } }; // attributes-only message
    const bytes = typeof m.data === "string" ? fromBase64(m.data) : null;
    if (!bytes) return bad("invalid_encoding", "message.data is not base64.", "/message/data");
    try {
      payload = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      return bad("invalid_encoding", "message.data is not UTF-8.", "/message/data");
    }
  } else {
    // Unwrapped push: the body is the payload; metadata, if written, came as headers.
    if (headerId !== undefined && (headerId.length === 0 || headerId.length > 128)) return bad("invalid_parameter", "x-goog-pubsub-message-id is invalid.", "/headers/x-goog-pubsub-message-id");
    messageId = headerId;
    subscription = headers.get("x-goog-pubsub-subscription-name") ?? undefined;
    publishTime = parseTimestamp(headers.get("x-goog-pubsub-publish-time"));
    payload = text;
  }
  const idBase = messageId ?? "pubsub";
  const receivedAt = publishTime ?? ctx.receivedAt;
  const parsed = payload.trim() ? parseJson(payload) : undefined;
  if (parsed && !parsed.ok && parsed.error.code !== "invalid_json") return parsed;
  const values = parsed?.ok ? (Array.isArray(parsed.value) ? parsed.value : [parsed.value]) : payload.trim() ? [{ message: payload }] : [];
  if (values.length > MAX_RECORDS_PER_REQUEST) return bad("payload_too_large", `More than ${MAX_RECORDS_PER_REQUEST} entries.`);
  const events: TelemetryEvent[] = [];
  for (const [i, v] of values.entries()) {
    if (unstorable(v)) return bad("unprocessable", "An entry cannot be stored.", `/message/data/${i}`);
    const record = typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : { message: String(v) };
    const entry = isLogEntry(record);
    const asset = [record.asset, ctx.asset, entry ? logEntryAsset(record) : undefined].find(isValidAssetId) ?? DEFAULT_ASSET;
    const ts = parseTimestamp(record.timestamp ?? record.ts ?? record.time) ?? receivedAt;
    const ev: TelemetryEvent = { ts, asset, source: "gcp.pubsub", id: values.length > 1 ? `${idBase}:${i}` : idBase, record };
    const level = normalizeLevel(record.severity ?? record.level);
    if (level) ev.level = level;
    if (typeof record.textPayload === "string") ev.message = record.textPayload;
    events.push(ev);
  }
  return { ok: true, value: { ...(messageId ? { messageId } : {}), ...(subscription ? { subscription } : {}), events } };
}
