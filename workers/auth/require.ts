/** Route guards: `requireScope("ingest")` for tenant keys, `requireAdmin` for the admin API. */
import { createMiddleware } from "hono/factory";
import type { Scope } from "../../shared/scopes.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { isAdminToken } from "./admin-token.ts";
import { authenticateKey, presentedKey, type Authenticated } from "./api-key-auth.ts";
import { authenticateJwt, looksLikeJwt } from "./jwt-auth.ts";

/** An API key or a JWT bearer token, whichever the credential is. */
export async function authenticate(env: AppEnv["Bindings"], credential: string): Promise<Authenticated | null> {
  return looksLikeJwt(credential) ? authenticateJwt(env, credential) : authenticateKey(env, credential);
}

const CHALLENGE = { headers: { "WWW-Authenticate": 'Bearer realm="telemetry-bridge"' } };

export function requireScope(scope: Scope) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const key = presentedKey(c.req.raw);
    if (!key) throw new ApiError("unauthorized", "Send an API key or token as Authorization: Bearer <key> or X-API-Key.", CHALLENGE);
    const auth = await authenticate(c.env, key);
    if (!auth) throw new ApiError("unauthorized", "The API key or token is not valid.", CHALLENGE);
    if (!auth.principal.scopes.includes(scope)) {
      throw new ApiError("forbidden", `This key lacks the "${scope}" scope.`);
    }
    c.set("principal", auth.principal);
    c.set("tenantConfig", auth.config);
    await next();
  });
}

function bearer(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m ? m[1]! : null;
}

/** Operator-only routes (all tenants): the ADMIN_TOKEN. */
export const requireOperator = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearer(c.req.header("authorization"));
  if (!token) throw new ApiError("unauthorized", "Send the admin token as Authorization: Bearer <token>.", CHALLENGE);
  if (!(await isAdminToken(c.env.ADMIN_TOKEN, token))) {
    // A tenant's own admin key is real, but not enough here.
    const auth = await authenticate(c.env, token);
    if (auth) throw new ApiError("forbidden", "Only the operator's admin token may do this.");
    throw new ApiError("unauthorized", "The admin token is not valid.", CHALLENGE);
  }
  c.set("actor", "operator");
  await next();
});

/**
 * Routes under /v1/admin/tenants/{tenant}: the operator's ADMIN_TOKEN, or an API key with the
 * `admin` scope of that same tenant. An admin key of another tenant gets 403.
 */
export const requireTenantAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearer(c.req.header("authorization")) ?? presentedKey(c.req.raw);
  if (!token) throw new ApiError("unauthorized", "Send the admin token or an admin key as Authorization: Bearer <token>.", CHALLENGE);
  if (await isAdminToken(c.env.ADMIN_TOKEN, token)) {
    c.set("actor", "operator");
    return next();
  }
  const auth = await authenticate(c.env, token);
  if (!auth) throw new ApiError("unauthorized", "The admin token or key is not valid.", CHALLENGE);
  if (!auth.principal.scopes.includes("admin")) throw new ApiError("forbidden", 'This key lacks the "admin" scope.');
  if (auth.principal.tenant !== c.req.param("tenant")) throw new ApiError("forbidden", "An admin key only administers its own tenant.");
  c.set("principal", auth.principal);
  c.set("actor", `key:${auth.principal.keyId}`);
  await next();
});

/**
 * For push sources that cannot always set headers (Pub/Sub push, Event Grid webhooks): the
 * credential may also come as `?key=`. `hint` tells the operator how to configure the source.
 */
export function requirePushIngest(hint: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const credential = presentedKey(c.req.raw) ?? c.req.query("key");
    if (!credential) throw new ApiError("unauthorized", hint, CHALLENGE);
    const auth = await authenticate(c.env, credential);
    if (!auth) throw new ApiError("unauthorized", "The API key or token is not valid.", CHALLENGE);
    if (!auth.principal.scopes.includes("ingest")) throw new ApiError("forbidden", 'This credential lacks the "ingest" scope.');
    c.set("principal", auth.principal);
    c.set("tenantConfig", auth.config);
    await next();
  });
}
