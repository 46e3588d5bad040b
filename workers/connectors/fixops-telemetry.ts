/**
 * FixOps ops-telemetry summary (`POST /v1/telemetry`):
 * {"alerts":[{"rule":string,"count":int>=0,...}],"latency_ms_p95":int>=0|null}.
 * Extra keys inside alerts are kept. One request is one event for one asset.
 */
import { DEFAULT_ASSET, isValidAssetId, type TelemetryEvent } from "../../shared/events.ts";
import type { FieldIssue } from "../../shared/problem.ts";
import { JSON_LIKE_TYPES, mediaType, parseJson, type Decoded } from "./json-text.ts";

const MAX_RULE_LENGTH = 256;

export interface DecodeContext {
  /** Asset named by the request (X-Asset-Id or ?asset=), if any. */
  asset?: string;
  receivedAt: number;
}

export function decodeFixopsTelemetry(text: string, contentType: string | null, ctx: DecodeContext): Decoded<TelemetryEvent[]> {
  const mt = mediaType(contentType);
  if (!JSON_LIKE_TYPES.has(mt)) {
    return { ok: false, error: { code: "unsupported_media_type", detail: `Expected application/json, got ${mt.slice(0, 64)}.` } };
  }
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  const body = parsed.value;
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return invalid([{ pointer: "", detail: "must be a JSON object with alerts and latency_ms_p95" }]);
  }
  const doc = body as Record<string, unknown>;
  const issues: FieldIssue[] = [];
  const assets = new Set<string>();
  if (!Array.isArray(doc.alerts)) {
    issues.push({ pointer: "/alerts", detail: "required; must be an array" });
  } else {
    doc.alerts.forEach((a, i) => {
      const at = `/alerts/${i}`;
      if (typeof a !== "object" || a === null || Array.isArray(a)) return issues.push({ pointer: at, detail: "must be an object" });
      const alert = a as Record<string, unknown>;
      if (typeof alert.rule !== "string" || alert.rule.length === 0 || alert.rule.length > MAX_RULE_LENGTH) {
        issues.push({ pointer: `${at}/rule`, detail: `required; a string of 1 to ${MAX_RULE_LENGTH} characters` });
      }
      if (typeof alert.count !== "number" || !Number.isSafeInteger(alert.count) || alert.count < 0) {
        issues.push({ pointer: `${at}/count`, detail: "required; an integer >= 0" });
      }
      if (alert.asset !== undefined) {
        if (!isValidAssetId(alert.asset)) issues.push({ pointer: `${at}/asset`, detail: "not a valid asset id" });
        else assets.add(alert.asset);
      }
    });
  }
  const p95 = doc.latency_ms_p95;
  if (p95 !== undefined && p95 !== null && (typeof p95 !== "number" || !Number.isSafeInteger(p95) || p95 < 0)) {
    issues.push({ pointer: "/latency_ms_p95", detail: "an integer >= 0 or null" });
  }
  if (assets.size > 1) issues.push({ pointer: "/alerts", detail: "alerts name different assets; send one request per asset" });
  if (issues.length) return invalid(issues);

  const asset = assets.values().next().value ?? ctx.asset ?? DEFAULT_ASSET;
  return { ok: true, value: [{ ts: ctx.receivedAt, asset, source: "fixops", record: doc }] };
}

function invalid(errors: FieldIssue[]): Decoded<never> {
  return { ok: false, error: { code: "unprocessable", detail: "The ops-telemetry summary is invalid.", errors } };
}
