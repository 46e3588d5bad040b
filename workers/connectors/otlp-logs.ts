/**
 * OTLP/HTTP JSON logs (`ExportLogsServiceRequest`): resourceLogs[].scopeLogs[].logRecords[].
 * `timeUnixNano`/`observedTimeUnixNano` may be decimal strings or numbers above 2^53, so they are
 * turned into strings before parsing and converted with BigInt: no nanosecond is lost in the
 * stored record. Asset: the request's, else the resource's `service.name`. Invalid records are
 * rejected one by one (OTLP partial success); the rest are kept.
 */
import { DEFAULT_ASSET, isValidAssetId, type TelemetryEvent } from "../../shared/events.ts";
import { normalizeLevel, type Level } from "../../shared/levels.ts";
import { MAX_RECORDS_PER_REQUEST } from "../../shared/limits.ts";
import type { DecodeContext } from "./fixops-telemetry.ts";
import { mediaType, parseJson, tooMany, type Decoded } from "./json-text.ts";

export interface OtlpDecoded {
  events: TelemetryEvent[];
  rejected: number;
  errorMessage?: string;
}

const NANO_FIELDS = /"(timeUnixNano|observedTimeUnixNano)"(\s*:\s*)(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
const MAX_TS_NS = 253402300799999n * 1_000_000n;

/** Severity number ranges of the OTLP data model, onto our five levels. */
function levelOfNumber(n: unknown): Level | undefined {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 24) return undefined;
  return n <= 8 ? "DEBUG" : n <= 12 ? "INFO" : n <= 16 ? "WARN" : n <= 20 ? "ERROR" : "CRITICAL";
}

/** Epoch ms from a unix-nanos decimal string; undefined when absent or zero, null when invalid. */
function nanosToMs(v: unknown): number | undefined | null {
  if (v === undefined || v === null || v === "0" || v === 0) return undefined;
  if (typeof v !== "string" || !/^\d{1,20}$/.test(v)) return null;
  const ns = BigInt(v);
  return ns > MAX_TS_NS ? null : Number(ns / 1_000_000n);
}

function serviceName(resource: unknown): string | undefined {
  const attrs = (resource as { attributes?: unknown } | undefined)?.attributes;
  if (!Array.isArray(attrs)) return undefined;
  const kv = attrs.find((a) => (a as { key?: unknown })?.key === "service.name") as { value?: { stringValue?: unknown } } | undefined;
  return typeof kv?.value?.stringValue === "string" ? kv.value.stringValue : undefined;
}

export function decodeOtlpLogs(text: string, contentType: string | null, ctx: DecodeContext): Decoded<OtlpDecoded> {
  const mt = mediaType(contentType);
  if (mt === "application/x-protobuf" || mt === "application/protobuf") {
    return { ok: false, error: { code: "unsupported_media_type", detail: "OTLP/HTTP protobuf is not supported yet; configure the exporter for JSON (http/json)." } };
  }
  if (mt !== "" && mt !== "application/json") return { ok: false, error: { code: "unsupported_media_type", detail: "Expected application/json (OTLP/HTTP JSON)." } };
  // Quote unix-nano numbers before JSON.parse would round them to doubles.
  const parsed = parseJson(text.replace(NANO_FIELDS, (_m, k: string, sep: string, n: string) => `"${k}"${sep}"${/^\d+$/.test(n) ? n : "invalid"}"`));
  if (!parsed.ok) return parsed;
  const req = parsed.value as { resourceLogs?: unknown };
  if (typeof req !== "object" || req === null || Array.isArray(req)) {
    return { ok: false, error: { code: "unprocessable", detail: "Expected an ExportLogsServiceRequest object.", errors: [{ pointer: "", detail: "must be an object" }] } };
  }
  const resourceLogs = req.resourceLogs ?? [];
  if (!Array.isArray(resourceLogs)) return { ok: false, error: { code: "unprocessable", detail: "resourceLogs must be an array.", errors: [{ pointer: "/resourceLogs", detail: "must be an array" }] } };
  const events: TelemetryEvent[] = [];
  const reasons: string[] = [];
  let rejected = 0;
  for (const [i, rl] of resourceLogs.entries()) {
    const resource = (rl as { resource?: Record<string, unknown> })?.resource ?? {};
    const asset = [ctx.asset, serviceName(resource)].find(isValidAssetId) ?? DEFAULT_ASSET;
    const scopeLogs = (rl as { scopeLogs?: unknown })?.scopeLogs ?? [];
    if (!Array.isArray(scopeLogs)) return { ok: false, error: { code: "unprocessable", detail: "scopeLogs must be an array.", errors: [{ pointer: `/resourceLogs/${i}/scopeLogs`, detail: "must be an array" }] } };
    for (const [j, sl] of scopeLogs.entries()) {
      const scope = (sl as { scope?: Record<string, unknown> })?.scope ?? {};
      const logRecords = (sl as { logRecords?: unknown })?.logRecords ?? [];
      if (!Array.isArray(logRecords)) return { ok: false, error: { code: "unprocessable", detail: "logRecords must be an array.", errors: [{ pointer: `/resourceLogs/${i}/scopeLogs/${j}/logRecords`, detail: "must be an array" }] } };
      for (const [k, lr] of logRecords.entries()) {
        const at = `/resourceLogs/${i}/scopeLogs/${j}/logRecords/${k}`;
        const r = lr as Record<string, unknown>;
        if (typeof r !== "object" || r === null || Array.isArray(r)) { rejected++; reasons.push(`${at}: not an object`); continue; }
        const time = nanosToMs(r.timeUnixNano);
        const observed = nanosToMs(r.observedTimeUnixNano);
        if (time === null || observed === null) { rejected++; reasons.push(`${at}: timeUnixNano is not unix nanoseconds`); continue; }
        if ((r.traceId !== undefined && r.traceId !== "" && !/^[0-9a-fA-F]{32}$/.test(String(r.traceId))) || (r.spanId !== undefined && r.spanId !== "" && !/^[0-9a-fA-F]{16}$/.test(String(r.spanId)))) {
          rejected++; reasons.push(`${at}: traceId/spanId must be hex`); continue;
        }
        const record: Record<string, unknown> = { ...r, resource, scope };
        const ev: TelemetryEvent = { ts: time ?? observed ?? ctx.receivedAt, asset, source: "otlp", record };
        const level = normalizeLevel(r.severityText) ?? levelOfNumber(r.severityNumber);
        if (level) ev.level = level;
        const body = r.body as { stringValue?: unknown } | undefined;
        if (typeof body?.stringValue === "string") ev.message = body.stringValue;
        events.push(ev);
        if (events.length > MAX_RECORDS_PER_REQUEST) return tooMany();
      }
    }
  }
  const out: OtlpDecoded = { events, rejected };
  if (rejected) out.errorMessage = `${rejected} log record(s) rejected: ${reasons.slice(0, 5).join("; ")}`;
  return { ok: true, value: out };
}
