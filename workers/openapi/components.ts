/** Named response and request shapes of the v1 API (DESIGN.md section 7; docs/*.md for the meaning). */
import { LEVELS } from "../../shared/levels.ts";
import { SCOPES } from "../../shared/scopes.ts";
import { TOP_KEYS } from "../../shared/tenant-config.ts";
import { anyObject, arr, bool, int, map, nullable, num, obj, ref, str, time, type Schema } from "./schema.ts";

const hex64 = (d: string) => str(d, { pattern: "^[0-9a-f]{64}$" });
const counts = (d: string) => map(int(undefined, { minimum: 0 }), d);

const upload = obj({
  provider: str("r2, s3 or azure-blob"), bucket: str(), key: str("object key of records.jsonl.gz"), url: str(),
  status: str("stored: in the store; pending: retried by the asset; failed: given up after 3 days", { enum: ["stored", "pending", "failed"] }),
  attempts: int(), next_attempt_at: time(), error: str("why the last attempt failed (never a secret)"),
}, ["next_attempt_at", "error"]);

const bundle = obj({
  id: str("evidence-<yyyymmdd-hhmmss>-<sha256(gz)[0:8]>"), created_at: time(), first_seq: int(), end_seq: int("exclusive"), line_count: int(),
  prefix: str("store prefix holding the three files"), records: str(), statement: str(), metadata: str(), kid: str("signing key (RFC 7638 thumbprint)"),
  sha256: hex64("SHA-256 of records.jsonl.gz"), compressed_size_bytes: int(), uncompressed_sha256: hex64("SHA-256 of records.jsonl"),
  uncompressed_size_bytes: int(), statement_sha256: hex64("SHA-256 of the DSSE payload"), merkle_root: hex64("root_after"),
  upload, download: map(str(), "file name -> GET path"), reused: bool("the same range sealed again in the same second"),
}, ["reused"]);

const alert = obj({
  id: str(), rule: str(), type: str("count, burst, threshold, pattern, level or error_rate"),
  severity: str(undefined, { enum: ["info", "low", "medium", "high", "critical"] }), key: str("burst key"),
  status: str(undefined, { enum: ["OPEN", "ACKNOWLEDGED", "SUPPRESSED", "RESOLVED"] }), seq: int("the event that fired it"),
  event_ts: time(), value: num(), opened_at: time(), updated_at: time(), repeats: int("firings inside the cooldown or mute"),
  actor: str("key:<key_id> of the last change"), note: str(), muted_until: time(),
}, ["key", "value", "actor", "note", "muted_until"]);

const tenant = obj({ tenant_id: str(), name: str(), status: str(undefined, { enum: ["active", "disabled"] }), created_at: time(), updated_at: time() });
const keyInfo = obj({
  key_id: str(), key_prefix: str("tb_<tenant>_<key_id>_, never the secret"), name: nullable(str()), scopes: arr(ref("Scope")),
  created_at: time(), expires_at: nullable(time()), revoked_at: nullable(time()), rotated_from: nullable(str()),
});
const retentionCounts = obj({ evidence: int(), raw: int(), summary: int() }, [], "per retention class");

export const SCHEMAS: Record<string, Schema> = {
  Problem: obj({
    type: str("https://telemetry-bridge.dev/problems/<code>", { format: "uri" }), title: str(), status: int(), detail: str(),
    request_id: str(), errors: arr(obj({ pointer: str("JSON pointer into the request: /3/ts, /query/since, /headers/x-asset-id"), detail: str() })),
  }, ["request_id", "errors"], "RFC 9457 problem details; further members may be present (reason, step, busy_until)."),
  Scope: str(undefined, { enum: [...SCOPES] }),
  Level: str(undefined, { enum: [...LEVELS] }),
  OpsTelemetry: obj({
    alerts: arr(obj({ rule: str(), count: int(undefined, { minimum: 0 }) })),
    latency_ms_p95: nullable(int(undefined, { minimum: 0 })),
  }, [], "The FixOps ops-telemetry summary (contract)."),
  LogRecords: { oneOf: [anyObject("one record"), arr(anyObject(), "records")], description: "A JSON object or array; NDJSON with application/x-ndjson. Timestamps from ts, timestamp, time, @timestamp or date; level from level, severity or log_level; asset from asset." },
  TelemetryAccepted: obj({ ok: bool(), accepted: int(), asset: str() }),
  BatchAccepted: obj({ ok: bool(), accepted: int(), assets: counts("events stored per asset") }),
  PartialResult: obj({
    ok: bool("false"), accepted: int(), assets: counts("events stored per asset"),
    errors: arr(obj({ asset: str(), accepted: int(), status: int("429 or 503"), detail: str() })),
  }, [], "Some assets stored their events, others did not: retry those (an Idempotency-Key makes retrying the whole request safe)."),
  StoredLine: obj({ asset: str(), id: str(), record: anyObject("the record as received"), rts: time("receive time"), seq: int(), source: str(), ts: time("event time") }, ["id"],
    "One stored event in RFC 8785 canonical JSON, as evidence bundles hold it."),
  AssetPage: obj({ assets: arr(obj({ asset: str(), first_seen: time(), last_seen: time(), events_total: int() })), next_cursor: nullable(str()) }),
  Summary: obj({
    asset: str(), window: obj({ since: time(), until: time() }), events: int(), levels: counts("events per normalised level, NONE without one"),
    latency: obj({ count: int(), p50_ms: nullable(num()), p95_ms: nullable(num()), p99_ms: nullable(num()), max_ms: nullable(num()) }),
    counts: counts("events per counting rule"), alerts_fired: counts("alerts per rule"), step_seconds: int(),
    series: arr(obj({ at: time(), events: int(), levels: counts("per level"), counts: counts("per rule"), alerts: counts("per rule"), latency_p95_ms: nullable(num()) })),
    ops_summary: ref("OpsTelemetry"),
  }),
  Alert: alert,
  AlertPage: obj({ asset: str(), alerts: arr(ref("Alert")), next_cursor: nullable(str()) }),
  AlertAction: obj({ note: str(undefined, { maxLength: 1000 }), mute_seconds: int("suppress only; default 3600", { minimum: 0, maximum: 2_592_000 }) }, ["note", "mute_seconds"]),
  TailToken: obj({ token: str("tt1.<payload>.<mac>; valid 60 s for this asset"), expires_at: time() }),
  Bundle: bundle,
  Evidence: obj({
    ok: bool(), metadata: obj({ timestamp: time(), line_count: int(), since_seconds: int(), asset: str(), sha256: hex64("of records.jsonl.gz"), compressed_size_bytes: int() }),
    upload, bundle: ref("Bundle"),
  }, [], "Compatible with the original FixOps collector, plus bundle."),
  EvidenceEmpty: obj({ ok: bool(), line_count: int(undefined, { const: 0 }), message: str(undefined, { const: "No logs found matching criteria" }) }),
  BundlePage: obj({ asset: str(), bundles: arr(ref("Bundle")), next_cursor: nullable(str()) }),
  Jwks: obj({ keys: arr(obj({ kty: str(undefined, { const: "OKP" }), crv: str(undefined, { const: "Ed25519" }), x: str(), kid: str(), alg: str(undefined, { const: "Ed25519" }), use: str(undefined, { const: "sig" }) })) }),
  Health: obj({ status: str(undefined, { const: "healthy" }), timestamp: time() }),
  DeadLetters: obj({ asset: str(), depth: int(), outbox: int(), dead_letters: arr(anyObject("a dead letter: id, kind, attempts, last error, payload summary")) }),
  Redrive: obj({ ids: arr(str()) }, ["ids"]),
  Redriven: obj({ asset: str(), redriven: int() }),
  Tenant: tenant,
  TenantWithConfig: { allOf: [tenant, obj({ config: ref("TenantConfig") })] },
  TenantPage: obj({ tenants: arr(tenant), next_cursor: nullable(str()) }),
  TenantCreate: obj({ tenant_id: str("1-63 of [a-z0-9-]"), name: str(), config: ref("TenantConfig") }, ["name", "config"]),
  TenantPatch: obj({ name: str(), status: str("operator only", { enum: ["active", "disabled"] }) }, ["name", "status"]),
  TenantConfig: {
    type: "object", additionalProperties: false, description: "Every key optional; meaning and shapes in docs/admin.md.",
    properties: Object.fromEntries(TOP_KEYS.map((k) => [k, {}])),
  },
  KeyCreate: obj({ scopes: arr(ref("Scope")), name: str(), expires_at: time() }, ["name", "expires_at"]),
  KeyCreated: obj({ key_id: str(), key: str("the secret: shown only here"), scopes: arr(ref("Scope")), name: nullable(str()), expires_at: nullable(time()) }),
  KeyRotated: { allOf: [ref("KeyCreated"), obj({ rotated_from: str(), previous_expires_at: nullable(time()) })] },
  KeyInfo: keyInfo,
  KeyList: obj({ keys: arr(keyInfo) }),
  Rotate: obj({ grace_seconds: int("default 86400", { minimum: 0, maximum: 2_592_000 }) }, ["grace_seconds"]),
  AuditPage: obj({ entries: arr(obj({ at: time(), actor: str(), action: str(), target: nullable(str()), detail: nullable(anyObject()) })), next_cursor: nullable(str()) }),
  RequestLog: obj({ requests: arr(obj({ at: time(), method: str(), path: str(), status: int(), ms: int(), key: str(), request_id: str(), bytes: int(), events: int() })) }),
  StoreTest: obj({ ok: bool(), provider: str(), bucket: str(), probe_key: str(), probe_deleted: bool(), write_ms: int(), read_ms: int(), list_ms: int(), delete_ms: int() }),
  IncidentStart: obj({
    reason: str("why (1-500 characters); recorded in the audit log and in the bundles sealed during the incident"),
    ttl_seconds: int("how long it lasts: 60-604800, default 1800", { minimum: 60, maximum: 604800 }),
    assets: nullable(arr(str(), "the assets it applies to (1-100); absent or null: every asset of the tenant")),
    ring_factor: int("ring-buffer bounds are multiplied by this (1-100, default 10), within the config maxima", { minimum: 1, maximum: 100 }),
  }, ["ttl_seconds", "assets", "ring_factor"]),
  Incident: obj({
    id: str(), reason: str(), by: str("who started it"), started_at: time(), until: time("when it ends by itself (or ended)"),
    ended_at: time("set when ended early"), ended_by: nullable(str()), assets: nullable(arr(str())), ring_factor: int(), active: bool(),
  }, ["ended_at", "ended_by"]),
  IncidentCurrent: obj({ incident: ref("Incident") }),
  IncidentAnswer: obj({
    incident: ref("Incident"),
    assets_notified: int("assets told at once (those with stored data)"),
    assets_pending_next_append: bool("a tenant-wide incident over more than 1,000 assets: the rest apply it with their next append"),
  }),
  StoreTestBody: obj({ evidence_store: anyObject("an evidence_store config to test instead of the saved one (operator only)") }, ["evidence_store"]),
  RetentionRun: obj({
    ok: bool(), now: time(), actor: str(), deleted: retentionCounts, failed: retentionCounts, tenants: int(), resumed: bool(),
    more: bool("work remains: run again to continue"), stopped_by: nullable(str()),
    by_tenant: arr(obj({ tenant: str(), deleted: retentionCounts, failed: retentionCounts })), failures: arr(anyObject()), failures_omitted: int(),
  }),
  Version: obj({ service: str(), version: str(), api_version: str(), git_sha: str('"unknown" unless set at deploy'), build_time: str('"unknown" unless set at deploy') }),
  System: obj({
    service: str(), version: str(), now: time(), tenant: str(), ok: bool("every check passed"),
    checks: map(obj({ ok: bool(), ms: int(), reason: str("class of failure (auth, network, config, unavailable, …)") }, ["reason"]), "tenant_object, asset_index, evidence_store"),
    config: anyObject("effective ring buffer, retention, quotas, evidence store (provider, bucket), forwarding, rule counts, active incident; never a secret"),
  }),
  ExportTest: obj({ ok: bool(), destination: str(), type: str(undefined, { enum: ["splunk_hec", "elasticsearch"] }), status: int("the destination's HTTP status"), ms: int() }),
  FirehoseReply: obj({ requestId: str(), timestamp: int("epoch ms"), errorMessage: str() }, ["errorMessage"], "Firehose's own answer shape (also for errors)."),
  HecReply: obj({ text: str(), code: int("Splunk HEC code"), "invalid-event-number": int() }, ["invalid-event-number"], "Splunk HEC's own answer shape (also for errors)."),
  OtlpReply: obj({ partialSuccess: obj({ rejectedLogRecords: str(), errorMessage: str() }) }, ["partialSuccess"]),
  PubSubAccepted: obj({ ok: bool(), accepted: int(), message_id: nullable(str()), assets: counts("events stored per asset") }),
};
