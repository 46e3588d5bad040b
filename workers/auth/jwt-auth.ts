/**
 * JWT bearer tokens (jose). A tenant registers issuers (issuer, audience, keys, allowed
 * algorithms, scope mapping); the directory tells which tenant registered the token's
 * (iss, aud). The token is then verified against that tenant's settings and becomes the
 * same kind of principal as an API key. Issuer settings and key sets are cached per
 * isolate for JWT_CONFIG_TTL_MS, so config changes apply everywhere within that time.
 */
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from "jose";
import type { TenantConfig } from "../../shared/config.ts";
import { AUTH_CACHE_MAX_ENTRIES, JWT_CLOCK_TOLERANCE_SECONDS, JWT_CONFIG_TTL_MS, JWT_LOOKUPS_PER_SECOND } from "../../shared/limits.ts";
import { TokenBucket } from "../../shared/token-bucket.ts";
import { isScope, type Principal, type Scope } from "../../shared/scopes.ts";
import type { JwtIssuer } from "../../shared/tenant-config.ts";
import { endpointRefusal } from "../../shared/storage/endpoint-policy.ts";
import { DIRECTORY_OBJECT_NAME, tenantObjectName, type Env } from "../../durable-objects/env.ts";
import { log } from "../log.ts";
import type { Authenticated } from "./api-key-auth.ts";

const JWT_RE = /^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*$/;
const MAX_TOKEN_LENGTH = 16 * 1024;

type KeySet = ReturnType<typeof createLocalJWKSet> | ReturnType<typeof createRemoteJWKSet>;
type Resolved = { tenant: string; issuer: JwtIssuer; config: TenantConfig; keys: KeySet } | null;
const resolved = new Map<string, { at: number; value: Resolved }>();

export function looksLikeJwt(token: string): boolean {
  return token.length <= MAX_TOKEN_LENGTH && JWT_RE.test(token);
}

/** Directory look-ups for uncached (iss, aud) pairs, per isolate: a flood of made-up tokens stays bounded. */
const lookups = new TokenBucket(JWT_LOOKUPS_PER_SECOND, 1, Date.now());

async function resolve(env: Env, iss: string, aud: string): Promise<Resolved> {
  const cacheKey = JSON.stringify([iss, aud]);
  const hit = resolved.get(cacheKey);
  if (hit && Date.now() - hit.at < JWT_CONFIG_TTL_MS) return hit.value;
  if (lookups.take(1, Date.now()) > 0) {
    log.warn("JwtLookupsThrottled", {});
    return null;
  }
  let value: Resolved = null;
  const tenant = await env.TENANT_DIRECTORY.getByName(DIRECTORY_OBJECT_NAME).issuerTenant(iss, aud);
  if (tenant) {
    const found = await env.TENANT.getByName(tenantObjectName(tenant)).jwtIssuer(iss, aud);
    // The JWKS URL is an outbound call like any other: the same endpoint policy applies.
    const refused = found?.issuer.jwks_url ? endpointRefusal(found.issuer.jwks_url, env.ALLOW_INSECURE_STORE_ENDPOINTS === "true") : null;
    if (refused) log.warn("JwtRejected", { tenant, reason: "jwks_url_refused", detail: refused });
    else if (found) {
      const keys = found.issuer.jwks
        ? createLocalJWKSet(found.issuer.jwks as Parameters<typeof createLocalJWKSet>[0])
        : createRemoteJWKSet(new URL(found.issuer.jwks_url!));
      value = { ...found, keys };
    }
  }
  if (resolved.size >= AUTH_CACHE_MAX_ENTRIES) resolved.delete(resolved.keys().next().value!);
  resolved.set(cacheKey, { at: Date.now(), value });
  return value;
}

/** The token's scopes: mapped claim values, plus the issuer's default scopes. */
function scopesOf(payload: JWTPayload, issuer: JwtIssuer): Scope[] {
  const raw = payload[issuer.scope_claim];
  const values = typeof raw === "string" ? raw.split(/\s+/) : Array.isArray(raw) ? raw.filter((v): v is string => typeof v === "string") : [];
  const out = new Set<Scope>(issuer.default_scopes);
  for (const v of values) {
    if (issuer.scope_map) for (const s of Object.hasOwn(issuer.scope_map, v) ? issuer.scope_map[v]! : []) out.add(s);
    else if (isScope(v)) out.add(v);
  }
  return [...out];
}

/** A verified principal for the token, or null (every failure looks the same to the caller). */
export async function authenticateJwt(env: Env, token: string): Promise<Authenticated | null> {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    return null;
  }
  if (typeof claims.iss !== "string") return null;
  const audiences = typeof claims.aud === "string" ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud.slice(0, 2) : [];
  for (const aud of audiences) {
    const found = await resolve(env, claims.iss, aud);
    if (!found) continue;
    try {
      const { payload } = await jwtVerify(token, found.keys, {
        issuer: found.issuer.issuer,
        audience: found.issuer.audience,
        algorithms: found.issuer.algorithms,
        clockTolerance: JWT_CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ["exp"],
      });
      for (const [claim, want] of Object.entries(found.issuer.required_claims ?? {})) {
        if (payload[claim] !== want) {
          log.warn("JwtRejected", { tenant: found.tenant, reason: "required_claim", claim });
          return null;
        }
      }
      const sub = typeof payload.sub === "string" ? payload.sub.slice(0, 64) : "unknown";
      const principal: Principal = { tenant: found.tenant, keyId: `jwt:${sub}`, scopes: scopesOf(payload, found.issuer) };
      return { principal, config: found.config };
    } catch (e) {
      // The reason is for operators; the token itself is never logged.
      log.warn("JwtRejected", { tenant: found.tenant, reason: (e as { code?: string }).code ?? "invalid" });
      return null;
    }
  }
  return null;
}

/** Drop this isolate's cached issuer settings for a tenant (after an admin change to it). */
export function forgetJwtTenant(tenant: string): void {
  for (const [k, v] of resolved) if (v.value === null || v.value.tenant === tenant) resolved.delete(k);
}
