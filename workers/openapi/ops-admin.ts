/** OpenAPI metadata of the admin API (docs/admin.md, docs/evidence-stores.md). */
import { int, ref } from "./schema.ts";
import { json, type Op, type Param } from "./operation.ts";

const page: Param[] = [
  { name: "limit", in: "query", description: "1-1000, default 100.", schema: int(undefined, { minimum: 1, maximum: 1000 }) },
  { name: "cursor", in: "query", description: "next_cursor of the previous page." },
];
const BODY_PROBLEMS = ["invalid_json", "unprocessable", "not_found"] as const;

export const ADMIN_OPS: Record<string, Op> = {
  "POST /v1/admin/tenants": {
    summary: "Create a tenant", tag: "admin", auth: "operator", docs: "docs/admin.md", body: { schema: ref("TenantCreate"), required: true },
    responses: { "201": json(ref("TenantWithConfig"), "The tenant.") }, problems: ["invalid_json", "unprocessable", "conflict"],
  },
  "GET /v1/admin/tenants": {
    summary: "List tenants in id order", tag: "admin", auth: "operator", docs: "docs/admin.md", params: page,
    responses: { "200": json(ref("TenantPage"), "A page of tenants.") }, problems: ["invalid_parameter"],
  },
  "GET /v1/admin/tenants/{tenant}": {
    summary: "A tenant with its config", tag: "admin", auth: "tenant_admin", responses: { "200": json(ref("TenantWithConfig"), "The tenant.") }, problems: ["not_found"],
  },
  "PATCH /v1/admin/tenants/{tenant}": {
    summary: "Rename a tenant, or (operator) disable or enable it", tag: "admin", auth: "tenant_admin", body: { schema: ref("TenantPatch"), required: true },
    responses: { "200": json(ref("Tenant"), "The tenant.") }, problems: [...BODY_PROBLEMS],
  },
  "GET /v1/admin/tenants/{tenant}/config": {
    summary: "The tenant's configuration", tag: "admin", auth: "tenant_admin", responses: { "200": json(ref("TenantConfig"), "The config.") }, problems: ["not_found"],
  },
  "PUT /v1/admin/tenants/{tenant}/config": {
    summary: "Replace the tenant's configuration", tag: "admin", auth: "tenant_admin", docs: "docs/admin.md",
    description: "quotas, evidence_store and the secret refs are the operator's: a tenant admin's change to them is 403.",
    body: { schema: ref("TenantConfig"), required: true }, responses: { "200": json(ref("TenantConfig"), "The stored config.") }, problems: [...BODY_PROBLEMS, "conflict"],
  },
  "POST /v1/admin/tenants/{tenant}/keys": {
    summary: "Create an API key (the secret is in this answer only)", tag: "admin", auth: "tenant_admin", body: { schema: ref("KeyCreate"), required: true },
    responses: { "201": json(ref("KeyCreated"), "The key; Cache-Control: no-store.") }, problems: [...BODY_PROBLEMS],
  },
  "GET /v1/admin/tenants/{tenant}/keys": {
    summary: "List keys (never their secrets)", tag: "admin", auth: "tenant_admin", responses: { "200": json(ref("KeyList"), "The keys.") }, problems: ["not_found"],
  },
  "DELETE /v1/admin/tenants/{tenant}/keys/{key_id}": {
    summary: "Revoke a key (everywhere within 60 s)", tag: "admin", auth: "tenant_admin", responses: { "200": json(ref("KeyInfo"), "The revoked key.") }, problems: ["not_found"],
  },
  "POST /v1/admin/tenants/{tenant}/keys/{key_id}/rotate": {
    summary: "Rotate a key: a new one with the same scopes; the old one works for grace_seconds", tag: "admin", auth: "tenant_admin",
    body: { schema: ref("Rotate") }, responses: { "201": json(ref("KeyRotated"), "The new key.") }, problems: [...BODY_PROBLEMS, "conflict"],
  },
  "GET /v1/admin/tenants/{tenant}/audit": {
    summary: "Admin actions on the tenant, newest first", tag: "admin", auth: "tenant_admin", params: page,
    responses: { "200": json(ref("AuditPage"), "A page of audit entries.") }, problems: ["invalid_parameter", "not_found"],
  },
  "GET /v1/admin/tenants/{tenant}/requests": {
    summary: "The newest authenticated requests", tag: "admin", auth: "tenant_admin",
    params: [
      page[0]!, { name: "status", in: "query", description: "A code (429) or class (4xx)." }, { name: "path", in: "query", description: "Path prefix." },
      { name: "key", in: "query", description: "Key id." }, { name: "since", in: "query", description: "ISO 8601 time." },
    ],
    responses: { "200": json(ref("RequestLog"), "Requests, newest first.") }, problems: ["invalid_parameter"],
  },
  "POST /v1/admin/tenants/{tenant}/evidence-store/test": {
    summary: "Write, read, list and delete a probe object in the tenant's evidence store", tag: "admin", auth: "tenant_admin", docs: "docs/evidence-stores.md",
    body: { schema: ref("StoreTestBody") }, responses: { "200": json(ref("StoreTest"), "Every step worked, with timings.") },
    problems: [...BODY_PROBLEMS, "store_unreachable"],
  },
  "POST /v1/admin/tenants/{tenant}/incident": {
    summary: "Start incident mode (or change the active incident): raised ring bounds and hourly bundles until it expires", tag: "admin",
    auth: "tenant_admin", docs: "docs/incident-mode.md", body: { schema: ref("IncidentStart") },
    responses: { "201": json(ref("IncidentAnswer"), "Started."), "200": json(ref("IncidentAnswer"), "The active incident was changed (same id).") },
    problems: [...BODY_PROBLEMS],
  },
  "GET /v1/admin/tenants/{tenant}/incident": {
    summary: "The tenant's current or most recent incident", tag: "admin", auth: "tenant_admin", docs: "docs/incident-mode.md",
    responses: { "200": json(ref("IncidentCurrent"), "The incident; active says whether it is still in force.") }, problems: ["not_found"],
  },
  "DELETE /v1/admin/tenants/{tenant}/incident": {
    summary: "End the active incident now (each affected asset seals a closing bundle)", tag: "admin", auth: "tenant_admin", docs: "docs/incident-mode.md",
    responses: { "200": json(ref("IncidentAnswer"), "Ended.") }, problems: ["not_found"],
  },
  "POST /v1/admin/tenants/{tenant}/exports/{name}/test": {
    summary: "Send one probe event to a configured export destination (Splunk HEC, Elasticsearch)", tag: "admin", auth: "tenant_admin",
    responses: { "200": json(ref("ExportTest"), "The destination took the probe.") }, problems: ["not_found", "destination_unreachable"],
  },
  "POST /v1/admin/retention/run": {
    summary: "Run the retention pass now, as the hourly cron does", tag: "operations", auth: "operator", docs: "docs/retention.md",
    params: [{ name: "now", in: "query", description: 'Judge ages at this ISO time (only with RETENTION_TEST_CLOCK = "true").' }],
    responses: { "200": json(ref("RetentionRun"), "What was deleted; more = run again to continue.") }, problems: ["invalid_parameter", "conflict"],
  },
};
