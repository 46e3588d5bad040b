/** Route guards: `requireScope("ingest")` for tenant keys, `requireAdmin` for the admin API. */
import { createMiddleware } from "hono/factory";
import type { Scope } from "../../shared/scopes.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { isAdminToken } from "./admin-token.ts";
import { authenticateKey, presentedKey } from "./api-key-auth.ts";

const CHALLENGE = { headers: { "WWW-Authenticate": 'Bearer realm="telemetry-bridge"' } };

export function requireScope(scope: Scope) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const key = presentedKey(c.req.raw);
    if (!key) throw new ApiError("unauthorized", "Send an API key as Authorization: Bearer <key> or X-API-Key.", CHALLENGE);
    const auth = await authenticateKey(c.env, key);
    if (!auth) throw new ApiError("unauthorized", "The API key is not valid.", CHALLENGE);
    if (!auth.principal.scopes.includes(scope)) {
      throw new ApiError("forbidden", `This key lacks the "${scope}" scope.`);
    }
    c.set("principal", auth.principal);
    c.set("tenantConfig", auth.config);
    await next();
  });
}

export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
  if (!m) throw new ApiError("unauthorized", "Send the admin token as Authorization: Bearer <token>.", CHALLENGE);
  if (!(await isAdminToken(c.env.ADMIN_TOKEN, m[1]!))) throw new ApiError("unauthorized", "The admin token is not valid.", CHALLENGE);
  await next();
});
