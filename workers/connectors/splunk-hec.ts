/**
 * Splunk HTTP Event Collector, JSON event protocol (`/services/collector/event`): a body of
 * event objects, concatenated with or without whitespace, or JSON arrays of them:
 * `{"time":1763971200.123,"host":"web-1","source":"nginx","sourcetype":"_json","index":"main","event":{…},"fields":{…}}`.
 * Errors are HEC's own: {text, code, invalid-event-number} with Splunk's status codes.
 */
import { DEFAULT_ASSET, isValidAssetId, parseTimestamp, type TelemetryEvent } from "../../shared/events.ts";
import { normalizeLevel } from "../../shared/levels.ts";
import { MAX_RECORDS_PER_REQUEST } from "../../shared/limits.ts";
import type { DecodeContext } from "./fixops-telemetry.ts";
import { unstorable } from "./json-text.ts";

/** A HEC answer: status, Splunk's code and text, and for event errors the event's index. */
export interface HecReply {
  status: number;
  code: number;
  text: string;
  invalidEventNumber?: number;
}

export const HEC = {
  success: { status: 200, code: 0, text: "Success" },
  tokenRequired: { status: 401, code: 2, text: "Token is required" },
  invalidAuthorization: { status: 401, code: 3, text: "Invalid authorization" },
  invalidToken: { status: 403, code: 4, text: "Invalid token" },
  noData: { status: 400, code: 5, text: "No data" },
  invalidDataFormat: { status: 400, code: 6, text: "Invalid data format" },
  serverBusy: { status: 503, code: 9, text: "Server is busy" },
  eventRequired: { status: 400, code: 12, text: "Event field is required" },
  eventBlank: { status: 400, code: 13, text: "Event field cannot be blank" },
  tooLarge: { status: 413, code: 6, text: "Request entity too large" },
  unsupportedEncoding: { status: 415, code: 6, text: "Invalid data format" },
} as const satisfies Record<string, HecReply>;

/** Split concatenated top-level JSON objects/arrays; null at the first malformed value. */
export function splitConcatenated(text: string, max: number): { values: string[] } | { badAt: number } | { tooMany: true } {
  const values: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    const start = i;
    if (text[i] !== "{" && text[i] !== "[") return { badAt: values.length };
    let depth = 0;
    let inString = false;
    for (; i < text.length; i++) {
      const ch = text[i]!;
      if (inString) {
        if (ch === "\\") i++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === "{" || ch === "[") depth++;
      else if (ch === "}" || ch === "]") {
        depth--;
        if (depth === 0) break;
      }
    }
    if (depth !== 0) return { badAt: values.length };
    i++;
    values.push(text.slice(start, i));
    if (values.length > max) return { tooMany: true };
  }
  return { values };
}

export function decodeHec(text: string, ctx: DecodeContext): { ok: true; value: TelemetryEvent[] } | { ok: false; reply: HecReply } {
  if (!text.trim()) return { ok: false, reply: HEC.noData };
  const split = splitConcatenated(text, MAX_RECORDS_PER_REQUEST);
  if ("tooMany" in split) return { ok: false, reply: HEC.tooLarge };
  if ("badAt" in split) return { ok: false, reply: { ...HEC.invalidDataFormat, invalidEventNumber: split.badAt } };
  const objects: unknown[] = [];
  for (const [n, raw] of split.values.entries()) {
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      return { ok: false, reply: { ...HEC.invalidDataFormat, invalidEventNumber: objects.length } };
    }
    if (unstorable(v)) return { ok: false, reply: { ...HEC.invalidDataFormat, invalidEventNumber: n } };
    // Count array items against the cap before taking them (and never spread a huge array).
    const items = Array.isArray(v) ? v : [v];
    if (objects.length + items.length > MAX_RECORDS_PER_REQUEST) return { ok: false, reply: HEC.tooLarge };
    for (const item of items) objects.push(item);
  }
  const events: TelemetryEvent[] = [];
  for (const [n, o] of objects.entries()) {
    if (typeof o !== "object" || o === null || Array.isArray(o)) return { ok: false, reply: { ...HEC.invalidDataFormat, invalidEventNumber: n } };
    const record = o as Record<string, unknown>;
    if (record.event === undefined || record.event === null) return { ok: false, reply: { ...HEC.eventRequired, invalidEventNumber: n } };
    if (record.event === "" || (typeof record.event === "object" && Object.keys(record.event).length === 0)) {
      return { ok: false, reply: { ...HEC.eventBlank, invalidEventNumber: n } };
    }
    let ts = ctx.receivedAt;
    if (record.time !== undefined) {
      const t = parseTimestamp(typeof record.time === "string" ? Number(record.time) : record.time);
      if (t === null) return { ok: false, reply: { ...HEC.invalidDataFormat, invalidEventNumber: n } };
      ts = t;
    }
    const fields = typeof record.fields === "object" && record.fields !== null ? (record.fields as Record<string, unknown>) : {};
    const asset = [fields.asset, ctx.asset, record.host].find(isValidAssetId) ?? DEFAULT_ASSET;
    const ev: TelemetryEvent = { ts, asset, source: "splunk.hec", record };
    const inner = typeof record.event === "object" ? (record.event as Record<string, unknown>) : undefined;
    const message = typeof record.event === "string" ? record.event : typeof inner?.message === "string" ? inner.message : undefined;
    if (message !== undefined) ev.message = message;
    const level = normalizeLevel(inner?.level ?? inner?.severity ?? fields.level);
    if (level) ev.level = level;
    events.push(ev);
  }
  return { ok: true, value: events };
}
