/**
 * Azure pushes on `POST /v1/ingest/azure/eventhub`:
 * - diagnostic-settings records `{"records":[{time, resourceId, category, operationName, level, properties}]}`,
 *   or an array of such objects (an Event Hub batch relayed by a forwarder function);
 * - Event Grid schema event arrays, including the `Microsoft.EventGrid.SubscriptionValidationEvent`
 *   handshake (answered with its validation code);
 * - CloudEvents 1.0, structured, single or batch.
 * Asset: the request's, else the last segment of `resourceId` (or of the event's subject/source).
 */
import { DEFAULT_ASSET, isValidAssetId, parseTimestamp, type TelemetryEvent } from "../../shared/events.ts";
import { normalizeLevel } from "../../shared/levels.ts";
import { MAX_RECORDS_PER_REQUEST } from "../../shared/limits.ts";
import type { DecodeContext } from "./fixops-telemetry.ts";
import { parseJson, tooMany, type Decoded, type DecodeProblem } from "./json-text.ts";

export type AzureDecoded = { kind: "events"; events: TelemetryEvent[] } | { kind: "validation"; validationCode: string };

export const EVENT_GRID_VALIDATION = "Microsoft.EventGrid.SubscriptionValidationEvent";

const bad = (detail: string, pointer: string): { ok: false; error: DecodeProblem } =>
  ({ ok: false, error: { code: "unprocessable", detail, errors: [{ pointer, detail }] } });

/** Last path segment of an Azure resource id or event subject, as an asset id if it is one. */
export function lastSegment(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  const seg = v.split("/").filter(Boolean).at(-1);
  return isValidAssetId(seg) ? seg : undefined;
}

function event(record: Record<string, unknown>, source: TelemetryEvent["source"], ctx: DecodeContext, tsField: unknown, assetHint: unknown, id?: unknown): TelemetryEvent {
  const asset = [record.asset, ctx.asset, lastSegment(assetHint)].find(isValidAssetId) ?? DEFAULT_ASSET;
  const ev: TelemetryEvent = { ts: parseTimestamp(tsField) ?? ctx.receivedAt, asset, source, record };
  if (typeof id === "string" && id.length > 0 && id.length <= 128) ev.id = id;
  const props = record.properties as Record<string, unknown> | undefined;
  const level = normalizeLevel(record.level ?? record.severity ?? props?.level);
  if (level) ev.level = level;
  const message = props?.message ?? record.message;
  if (typeof message === "string") ev.message = message;
  return ev;
}

export function decodeAzure(text: string, ctx: DecodeContext): Decoded<AzureDecoded> {
  const body = parseJson(text);
  if (!body.ok) return body;
  const items = Array.isArray(body.value) ? body.value : [body.value];
  if (items.length > MAX_RECORDS_PER_REQUEST) return tooMany();
  const events: TelemetryEvent[] = [];
  for (const [i, item] of items.entries()) {
    const at = Array.isArray(body.value) ? `/${i}` : "";
    if (typeof item !== "object" || item === null || Array.isArray(item)) return bad("Each item must be an object.", at);
    const o = item as Record<string, unknown>;
    if (Array.isArray(o.records)) {
      // Diagnostic settings (possibly one Event Hub message of a batch).
      for (const [j, r] of o.records.entries()) {
        if (typeof r !== "object" || r === null || Array.isArray(r)) return bad("Each record must be an object.", `${at}/records/${j}`);
        const rec = r as Record<string, unknown>;
        if (rec.time !== undefined && parseTimestamp(rec.time) === null) return bad("time is not an ISO 8601 time.", `${at}/records/${j}/time`);
        events.push(event(rec, "azure.eventhub", ctx, rec.time, rec.resourceId));
      }
    } else if (typeof o.eventType === "string") {
      // Event Grid schema.
      if (o.eventType === EVENT_GRID_VALIDATION) {
        const code = (o.data as { validationCode?: unknown } | undefined)?.validationCode;
        if (typeof code !== "string" || code.length === 0 || code.length > 256) return bad("The validation event lacks data.validationCode.", `${at}/data/validationCode`);
        return { ok: true, value: { kind: "validation", validationCode: code } };
      }
      events.push(event(o, "azure.eventgrid", ctx, o.eventTime, o.subject || o.topic, o.id));
    } else if (o.specversion === "1.0") {
      // CloudEvents 1.0 (structured mode).
      if (typeof o.id !== "string" || typeof o.source !== "string" || typeof o.type !== "string") return bad("A CloudEvent needs id, source and type.", at);
      events.push(event(o, "azure.eventgrid", ctx, o.time, o.subject || o.source, `${o.source}#${o.id}`));
    } else if (typeof o.resourceId === "string" || typeof o.category === "string") {
      // A bare diagnostic record.
      events.push(event(o, "azure.eventhub", ctx, o.time, o.resourceId));
    } else {
      return bad('Expected {"records":[…]}, Event Grid events, or CloudEvents.', at);
    }
    if (events.length > MAX_RECORDS_PER_REQUEST) return tooMany();
  }
  return { ok: true, value: { kind: "events", events } };
}
