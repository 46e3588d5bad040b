/** OpenAPI metadata of a tenant's read, alert, live tail and evidence routes. */
import { int, ref, str } from "./schema.ts";
import { json, type Op, type Param } from "./operation.ts";

const page = (max: number, dflt: number): Param[] => [
  { name: "limit", in: "query", description: `1-${max}, default ${dflt}.`, schema: int(undefined, { minimum: 1, maximum: max }) },
  { name: "cursor", in: "query", description: "next_cursor of the previous page." },
];
const alertAction = (verb: string, to: string): Op => ({
  summary: `${verb} an alert (${to})`, tag: "alerts", auth: "admin", docs: "docs/alerts.md",
  description: "OPEN -> ACKNOWLEDGED | SUPPRESSED | RESOLVED, ACKNOWLEDGED -> SUPPRESSED | RESOLVED; the actor (key:<key_id>) and time are recorded.",
  body: { schema: ref("AlertAction") },
  responses: { "200": json(ref("Alert"), "The alert after the change.") },
  problems: ["not_found", "conflict", "unprocessable", "invalid_json"],
});
const evidence: Op = {
  summary: "Seal, sign and store an evidence bundle of the asset's recent lines", tag: "evidence", auth: "evidence", docs: "docs/evidence.md",
  params: [{ name: "since", in: "query", description: 'Seconds (default 3600; 0 = whole buffer), or "continue" (everything after the last bundle).' }],
  responses: {
    "200": json({ oneOf: [ref("Evidence"), ref("EvidenceEmpty")] }, "The bundle, or line_count 0 when the window is empty."),
    "202": json(ref("Evidence"), "Sealed and signed; the upload is pending and retried by the asset."),
  },
  problems: ["store_unreachable", "unavailable"],
};

export const TENANT_OPS: Record<string, Op> = {
  "GET /v1/assets": {
    summary: "The tenant's assets with first and last seen and event totals", tag: "assets", auth: "read", docs: "docs/admin.md",
    params: page(1000, 100), responses: { "200": json(ref("AssetPage"), "Assets in id order.") }, problems: ["invalid_parameter"],
  },
  "GET /v1/assets/{asset}/summary": {
    summary: "Per-minute rollups of a window and the ops-telemetry summary", tag: "assets", auth: "read", docs: "docs/alerts.md",
    params: [
      { name: "since", in: "query", description: "ISO 8601 time or seconds before now (default 3600; at most 31 days)." },
      { name: "until", in: "query", description: "ISO 8601 time or seconds before now (default now)." },
    ],
    responses: { "200": json(ref("Summary"), "The window's totals and series.") },
  },
  "GET /v1/assets/{asset}/tail": {
    summary: "Live tail (WebSocket)", tag: "live tail", auth: "tail", docs: "docs/live-tail.md",
    description: "Upgrade: websocket. Frames: snapshot, event, alert, heartbeat, lagged, gap, ack, error, pong; messages: filter, resume, pause, resume_live, ping. " +
      "Refusals after an upgrade request are close frames (1008, 1009, 1013) with a reason.",
    params: [
      { name: "token", in: "query", description: "A token from POST .../tail/token (browsers); or send a read key in a header." },
      { name: "snapshot", in: "query", description: "Lines in the first frame, 0-500 (default 50).", schema: int(undefined, { minimum: 0, maximum: 500 }) },
    ],
    responses: { "101": { description: "Switching protocols: the tail." } },
    problems: ["upgrade_required"],
  },
  "POST /v1/assets/{asset}/tail/token": {
    summary: "A 60-second token for opening the live tail from a browser", tag: "live tail", auth: "read", docs: "docs/live-tail.md",
    responses: { "200": json(ref("TailToken"), "The token.") }, problems: ["unavailable"],
  },
  "GET /v1/assets/{asset}/alerts": {
    summary: "Alert records, newest first", tag: "alerts", auth: "read", docs: "docs/alerts.md",
    params: [{ name: "status", in: "query", description: "OPEN, ACKNOWLEDGED, SUPPRESSED or RESOLVED." }, ...page(1000, 100)],
    responses: { "200": json(ref("AlertPage"), "A page of alerts.") },
  },
  "POST /v1/assets/{asset}/alerts/{id}/ack": alertAction("Acknowledge", "ACKNOWLEDGED"),
  "POST /v1/assets/{asset}/alerts/{id}/suppress": alertAction("Suppress", "SUPPRESSED; mutes the rule for mute_seconds"),
  "POST /v1/assets/{asset}/alerts/{id}/resolve": alertAction("Resolve", "RESOLVED"),
  "GET /v1/assets/{asset}/forwarding/dlq": {
    summary: "FixOps forwarding and alert webhook dead letters", tag: "alerts", auth: "read", docs: "docs/forwarding.md",
    params: [page(1000, 100)[0]!], responses: { "200": json(ref("DeadLetters"), "Outbox and DLQ depth, and the dead letters.") },
  },
  "POST /v1/assets/{asset}/forwarding/dlq/redrive": {
    summary: "Send dead letters again (all, or those named)", tag: "alerts", auth: "admin", docs: "docs/forwarding.md",
    body: { schema: ref("Redrive") }, responses: { "200": json(ref("Redriven"), "How many were requeued.") }, problems: ["unprocessable", "invalid_json"],
  },
  "GET /v1/assets/{asset}/evidence": evidence,
  "GET /evidence": {
    ...evidence, summary: "Evidence bundle, the original FixOps collector's path",
    params: [...evidence.params!, { name: "asset", in: "query", description: "Asset id (default: default)." }], problems: ["store_unreachable", "unavailable", "invalid_parameter"],
  },
  "GET /v1/assets/{asset}/bundles": {
    summary: "The asset's evidence bundles, newest first", tag: "evidence", auth: "evidence", docs: "docs/evidence.md",
    params: page(500, 50), responses: { "200": json(ref("BundlePage"), "A page of bundles.") },
  },
  "GET /v1/bundles/{id}/{file}": {
    summary: "Download a bundle file: records.jsonl.gz, statement.dsse.json or metadata.json", tag: "evidence", auth: "evidence", docs: "docs/evidence.md",
    responses: {
      "200": { description: "The file (application/gzip or application/json), as stored.", schema: str(undefined, { contentMediaType: "application/octet-stream" }), type: "application/octet-stream" },
    },
    problems: ["not_found", "store_unreachable"],
  },
};
