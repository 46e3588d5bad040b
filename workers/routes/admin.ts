/**
 * Admin API: tenants (operator: ADMIN_TOKEN), and per tenant its configuration, API keys
 * and audit log (operator, or the tenant's own key with scope `admin`).
 */
import { Hono, type Context } from "hono";
import { decodeTenantConfig, type TenantConfig } from "../../shared/config.ts";
import type { FieldIssue } from "../../shared/problem.ts";
import { isScope, SCOPES, TENANT_ID_RE, type Scope } from "../../shared/scopes.ts";
import { DIRECTORY_OBJECT_NAME, tenantObjectName } from "../../durable-objects/env.ts";
import type { TenantError } from "../../durable-objects/tenant/tenant.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { forgetTenant } from "../auth/api-key-auth.ts";
import { requireOperator, requireTenantAdmin } from "../auth/require.ts";
import { readBodyText } from "../body.ts";
import { parseJson } from "../connectors/json-text.ts";

export const admin = new Hono<AppEnv>();

const MAX_NAME_LENGTH = 200;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
/** Rotation grace: how long the old key keeps working (default one day, at most 30 days). */
const DEFAULT_GRACE_SECONDS = 86_400;
const MAX_GRACE_SECONDS = 30 * 86_400;
const KEY_ID_RE = /^[0-9a-f]{16}$/;

async function jsonObject(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const text = await readBodyText(c.req.raw);
  const parsed = parseJson(text.trim() ? text : "{}");
  if (!parsed.ok) throw new ApiError(parsed.error.code, parsed.error.detail);
  const v = parsed.value;
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ApiError("unprocessable", "The body must be a JSON object.");
  return v as Record<string, unknown>;
}

function tenantId(c: Context<AppEnv>): string {
  const t = c.req.param("tenant") ?? "";
  if (!TENANT_ID_RE.test(t)) throw new ApiError("not_found", "No such tenant.");
  return t;
}

function keyId(c: Context<AppEnv>): string {
  const k = c.req.param("key_id") ?? "";
  if (!KEY_ID_RE.test(k)) throw new ApiError("not_found", "No such key.");
  return k;
}

function pageLimit(c: Context<AppEnv>): number {
  const raw = c.req.query("limit");
  const n = raw === undefined ? DEFAULT_PAGE : Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw new ApiError("invalid_parameter", `limit must be an integer from 1 to ${MAX_PAGE}.`);
  return n;
}

function fail(error: TenantError): never {
  switch (error.code) {
    case "tenant_exists": throw new ApiError("conflict", "A tenant with this id already exists.");
    case "key_not_found": throw new ApiError("not_found", "No such key.");
    case "key_revoked": throw new ApiError("conflict", "The key is revoked; create a new one instead of rotating it.");
    case "key_expired": throw new ApiError("conflict", "The key has expired; create a new one instead of rotating it.");
    case "key_rotated": throw new ApiError("conflict", "The key was already rotated; rotate its successor instead.");
    case "issuer_taken": throw new ApiError("conflict", `Another tenant already accepts tokens from issuer ${error.issuer} for audience ${error.audience}; use an audience of your own.`);
    default: throw new ApiError("not_found", "No such tenant.");
  }
}

function name(v: unknown, issues: FieldIssue[], required: boolean): string | undefined {
  if (v === undefined && !required) return undefined;
  if (typeof v !== "string" || v.length < 1 || v.length > MAX_NAME_LENGTH) {
    issues.push({ pointer: "/name", detail: `a string of 1 to ${MAX_NAME_LENGTH} characters` });
    return undefined;
  }
  return v;
}

const tenantStub = (c: Context<AppEnv>, tenant: string) => c.env.TENANT.getByName(tenantObjectName(tenant));

// Operator: all tenants.
admin.post("/v1/admin/tenants", requireOperator, async (c) => {
  const body = await jsonObject(c);
  const issues: FieldIssue[] = [];
  if (typeof body.tenant_id !== "string" || !TENANT_ID_RE.test(body.tenant_id)) {
    issues.push({ pointer: "/tenant_id", detail: "required; 1-63 of [a-z0-9-], starting and ending with a letter or digit" });
  }
  const tenantName = name(body.name ?? body.tenant_id, issues, true);
  let config: TenantConfig = {};
  if (body.config !== undefined) {
    const decoded = decodeTenantConfig(body.config);
    if (!decoded.ok) issues.push(...decoded.error.map((i) => ({ ...i, pointer: `/config${i.pointer}` })));
    else config = decoded.value;
  }
  if (issues.length) throw new ApiError("unprocessable", "The tenant is invalid.", { errors: issues });
  const id = body.tenant_id as string;
  checkAudiences(id, config, "/config");
  const res = await tenantStub(c, id).create({ tenant_id: id, name: tenantName!, config }, c.get("actor"));
  if (!res.ok) fail(res.error);
  return c.json({ ...res.value, config }, 201);
});

admin.get("/v1/admin/tenants", requireOperator, async (c) => {
  const cursor = c.req.query("cursor");
  if (cursor !== undefined && !TENANT_ID_RE.test(cursor)) throw new ApiError("invalid_parameter", "cursor must be a value returned by a previous page.");
  const page = await c.env.TENANT_DIRECTORY.getByName(DIRECTORY_OBJECT_NAME).list(pageLimit(c), cursor);
  return c.json(page);
});

// Operator, or the tenant's own admin key.
admin.use("/v1/admin/tenants/:tenant", requireTenantAdmin);
admin.use("/v1/admin/tenants/:tenant/*", requireTenantAdmin);

admin.get("/v1/admin/tenants/:tenant", async (c) => {
  const res = await tenantStub(c, tenantId(c)).get();
  if (!res.ok) fail(res.error);
  return c.json(res.value);
});

admin.patch("/v1/admin/tenants/:tenant", async (c) => {
  const tenant = tenantId(c);
  const body = await jsonObject(c);
  const issues: FieldIssue[] = [];
  for (const k of Object.keys(body)) if (k !== "name" && k !== "status") issues.push({ pointer: `/${k}`, detail: "only name and status can change" });
  const patch: { name?: string; status?: "active" | "disabled" } = {};
  const newName = name(body.name, issues, false);
  if (newName !== undefined) patch.name = newName;
  if (body.status !== undefined) {
    if (body.status !== "active" && body.status !== "disabled") issues.push({ pointer: "/status", detail: 'either "active" or "disabled"' });
    else if (c.get("actor") !== "operator") throw new ApiError("forbidden", "Only the operator can disable or enable a tenant.");
    else patch.status = body.status;
  }
  if (issues.length) throw new ApiError("unprocessable", "The change is invalid.", { errors: issues });
  const res = await tenantStub(c, tenant).update(patch, c.get("actor"));
  if (!res.ok) fail(res.error);
  forgetTenant(tenant);
  return c.json(res.value);
});

admin.get("/v1/admin/tenants/:tenant/config", async (c) => {
  const res = await tenantStub(c, tenantId(c)).get();
  if (!res.ok) fail(res.error);
  return c.json(res.value.config);
});

/**
 * Parts of a tenant's config only the operator may set: quotas, and everything that names an
 * operator secret, or where one is sent (the evidence sink, the FixOps URL, the alert webhook, exports). A tenant admin's PUT keeps the stored values of these
 * (when it leaves them out) and is refused when it changes them.
 */
const OPERATOR_ONLY = ["quotas", "evidence_store", "alert_webhook", "exports"] as const;

function guardOperatorFields(stored: TenantConfig, incoming: TenantConfig): TenantConfig {
  const out: TenantConfig = { ...incoming };
  for (const k of OPERATOR_ONLY) {
    if (incoming[k] === undefined) {
      if (stored[k] !== undefined) (out as Record<string, unknown>)[k] = stored[k];
    } else if (JSON.stringify(incoming[k]) !== JSON.stringify(stored[k])) {
      throw new ApiError("forbidden", `Only the operator may change ${k}.`);
    }
  }
  // The key goes wherever the URL points: a tenant admin who could move the URL could collect it.
  for (const k of ["api_key_secret_ref", "fixops_url"] as const) {
    if ((incoming.forwarding?.[k] ?? null) !== (stored.forwarding?.[k] ?? null)) {
      throw new ApiError("forbidden", `Only the operator may change forwarding.${k}.`);
    }
  }
  return out;
}

/** A JWT audience must name the tenant (as a token of it), so no tenant can claim another's. */
function checkAudiences(tenant: string, config: TenantConfig, at = ""): void {
  const errors: FieldIssue[] = [];
  (config.jwt?.issuers ?? []).forEach((i, n) => {
    if (!i.audience.toLowerCase().split(/[^a-z0-9-]+/).includes(tenant)) {
      errors.push({ pointer: `${at}/jwt/issuers/${n}/audience`, detail: `must contain the tenant id "${tenant}", e.g. "telemetry-bridge:${tenant}"` });
    }
  });
  if (errors.length) throw new ApiError("unprocessable", "The configuration is invalid.", { errors });
}

admin.put("/v1/admin/tenants/:tenant/config", async (c) => {
  const tenant = tenantId(c);
  const decoded = decodeTenantConfig(await jsonObject(c));
  if (!decoded.ok) throw new ApiError("unprocessable", "The configuration is invalid.", { errors: decoded.error });
  checkAudiences(tenant, decoded.value);
  let config = decoded.value;
  if (c.get("actor") !== "operator") {
    const current = await tenantStub(c, tenant).get();
    if (!current.ok) fail(current.error);
    config = guardOperatorFields(current.value.config, config);
  }
  const res = await tenantStub(c, tenant).putConfig(config, c.get("actor"));
  if (!res.ok) fail(res.error);
  forgetTenant(tenant);
  return c.json(res.value);
});

admin.post("/v1/admin/tenants/:tenant/keys", async (c) => {
  const tenant = tenantId(c);
  const body = await jsonObject(c);
  const issues: FieldIssue[] = [];
  const scopes = body.scopes;
  if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every(isScope)) {
    issues.push({ pointer: "/scopes", detail: `required; a non-empty array of ${SCOPES.join(", ")}` });
  }
  if (body.name !== undefined && (typeof body.name !== "string" || body.name.length > MAX_NAME_LENGTH)) {
    issues.push({ pointer: "/name", detail: `a string of at most ${MAX_NAME_LENGTH} characters` });
  }
  let expiresAt: number | undefined;
  if (body.expires_at !== undefined) {
    expiresAt = typeof body.expires_at === "string" ? Date.parse(body.expires_at) : NaN;
    if (!Number.isFinite(expiresAt) || expiresAt! <= Date.now()) issues.push({ pointer: "/expires_at", detail: "an ISO 8601 time in the future" });
  }
  if (issues.length) throw new ApiError("unprocessable", "The key request is invalid.", { errors: issues });
  const input: { scopes: Scope[]; name?: string; expires_at?: number } = { scopes: [...new Set(scopes as Scope[])] };
  if (typeof body.name === "string") input.name = body.name;
  if (expiresAt !== undefined) input.expires_at = expiresAt;
  const res = await tenantStub(c, tenant).createKey(input, c.get("actor"));
  if (!res.ok) fail(res.error);
  return c.json(res.value, 201, { "Cache-Control": "no-store" });
});

admin.get("/v1/admin/tenants/:tenant/keys", async (c) => {
  const res = await tenantStub(c, tenantId(c)).listKeys();
  if (!res.ok) fail(res.error);
  return c.json({ keys: res.value });
});

admin.delete("/v1/admin/tenants/:tenant/keys/:key_id", async (c) => {
  const tenant = tenantId(c);
  const res = await tenantStub(c, tenant).revokeKey(keyId(c), c.get("actor"));
  if (!res.ok) fail(res.error);
  forgetTenant(tenant);
  return c.json(res.value);
});

admin.post("/v1/admin/tenants/:tenant/keys/:key_id/rotate", async (c) => {
  const tenant = tenantId(c);
  const id = keyId(c);
  const body = await jsonObject(c);
  const grace = body.grace_seconds ?? DEFAULT_GRACE_SECONDS;
  if (typeof grace !== "number" || !Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
    throw new ApiError("unprocessable", "The rotation is invalid.", { errors: [{ pointer: "/grace_seconds", detail: `an integer from 0 to ${MAX_GRACE_SECONDS}` }] });
  }
  const res = await tenantStub(c, tenant).rotateKey(id, grace, c.get("actor"));
  if (!res.ok) fail(res.error);
  forgetTenant(tenant);
  return c.json({ ...res.value.key, rotated_from: id, previous_expires_at: res.value.previous.expires_at }, 201, { "Cache-Control": "no-store" });
});

admin.get("/v1/admin/tenants/:tenant/audit", async (c) => {
  const before = c.req.query("cursor");
  if (before !== undefined && !/^\d{1,15}$/.test(before)) throw new ApiError("invalid_parameter", "cursor must be a value returned by a previous page.");
  const res = await tenantStub(c, tenantId(c)).auditLog(pageLimit(c), before === undefined ? undefined : Number(before));
  if (!res.ok) fail(res.error);
  const { entries, next_cursor } = res.value;
  return c.json({ entries: entries.map((e) => ({ ...e, detail: e.detail === null ? null : JSON.parse(e.detail) })), next_cursor });
});

admin.get("/v1/admin/tenants/:tenant/requests", async (c) => {
  const tenant = tenantId(c);
  const q: { limit: number; status?: number; status_class?: number; path_prefix?: string; key?: string; since?: number } = { limit: pageLimit(c) };
  const status = c.req.query("status");
  if (status !== undefined) {
    if (/^[1-5]xx$/.test(status)) q.status_class = Number(status[0]);
    else if (/^[1-5]\d\d$/.test(status)) q.status = Number(status);
    else throw new ApiError("invalid_parameter", "status is a code (429) or a class (4xx).");
  }
  const path = c.req.query("path");
  if (path !== undefined) {
    if (!path.startsWith("/") || path.length > 256) throw new ApiError("invalid_parameter", "path is a path prefix starting with /.");
    q.path_prefix = path;
  }
  const key = c.req.query("key");
  if (key !== undefined) q.key = key.slice(0, 80);
  const since = c.req.query("since");
  if (since !== undefined) {
    const ms = Date.parse(since);
    if (!Number.isFinite(ms)) throw new ApiError("invalid_parameter", "since is an ISO 8601 time.");
    q.since = ms;
  }
  const rows = await tenantStub(c, tenant).requestLog(q);
  return c.json({ requests: rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() })) });
});
