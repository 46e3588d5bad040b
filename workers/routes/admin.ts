/** Admin API (ADMIN_TOKEN): tenants, their configuration and API keys. */
import { Hono, type Context } from "hono";
import { decodeTenantConfig, type TenantConfig } from "../../shared/config.ts";
import { isScope, SCOPES, TENANT_ID_RE, type Scope } from "../../shared/scopes.ts";
import type { FieldIssue } from "../../shared/problem.ts";
import { tenantObjectName } from "../../durable-objects/env.ts";
import type { TenantError } from "../../durable-objects/tenant/tenant.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { requireAdmin } from "../auth/require.ts";
import { readBodyText } from "../body.ts";
import { parseJson } from "../connectors/json-text.ts";

export const admin = new Hono<AppEnv>();
admin.use("/v1/admin/*", requireAdmin);

const MAX_NAME_LENGTH = 200;

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

function fail(error: TenantError): never {
  if (error.code === "tenant_exists") throw new ApiError("conflict", "A tenant with this id already exists.");
  throw new ApiError("not_found", "No such tenant.");
}

const stub = (c: Context<AppEnv>, tenant: string) => c.env.TENANT.getByName(tenantObjectName(tenant));

admin.post("/v1/admin/tenants", async (c) => {
  const body = await jsonObject(c);
  const issues: FieldIssue[] = [];
  if (typeof body.tenant_id !== "string" || !TENANT_ID_RE.test(body.tenant_id)) {
    issues.push({ pointer: "/tenant_id", detail: "required; 1-63 of [a-z0-9-], starting and ending with a letter or digit" });
  }
  const name = body.name ?? body.tenant_id;
  if (typeof name !== "string" || name.length < 1 || name.length > MAX_NAME_LENGTH) {
    issues.push({ pointer: "/name", detail: `a string of 1 to ${MAX_NAME_LENGTH} characters` });
  }
  let config: TenantConfig = {};
  if (body.config !== undefined) {
    const decoded = decodeTenantConfig(body.config);
    if (!decoded.ok) issues.push(...decoded.error.map((i) => ({ ...i, pointer: `/config${i.pointer}` })));
    else config = decoded.value;
  }
  if (issues.length) throw new ApiError("unprocessable", "The tenant is invalid.", { errors: issues });
  const res = await stub(c, body.tenant_id as string).create({ tenant_id: body.tenant_id as string, name: name as string, config });
  if (!res.ok) fail(res.error);
  return c.json({ ...res.value, config }, 201);
});

admin.get("/v1/admin/tenants/:tenant", async (c) => {
  const res = await stub(c, tenantId(c)).get();
  if (!res.ok) fail(res.error);
  return c.json(res.value);
});

admin.get("/v1/admin/tenants/:tenant/config", async (c) => {
  const res = await stub(c, tenantId(c)).get();
  if (!res.ok) fail(res.error);
  return c.json(res.value.config);
});

admin.put("/v1/admin/tenants/:tenant/config", async (c) => {
  const tenant = tenantId(c);
  const decoded = decodeTenantConfig(await jsonObject(c));
  if (!decoded.ok) throw new ApiError("unprocessable", "The configuration is invalid.", { errors: decoded.error });
  const res = await stub(c, tenant).putConfig(decoded.value);
  if (!res.ok) fail(res.error);
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
  const res = await stub(c, tenant).createKey(input);
  if (!res.ok) fail(res.error);
  return c.json(res.value, 201, { "Cache-Control": "no-store" });
});

admin.get("/v1/admin/tenants/:tenant/keys", async (c) => {
  const res = await stub(c, tenantId(c)).listKeys();
  if (!res.ok) fail(res.error);
  return c.json({ keys: res.value });
});
