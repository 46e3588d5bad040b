/**
 * API-key authentication. The key names its tenant, whose Tenant DO checks the hash.
 * Positive results are cached per isolate for AUTH_CACHE_TTL_MS (keyed by the key's
 * SHA-256, never the key), so a revoked key stops working everywhere within that time.
 * Failures are cached for AUTH_MISS_TTL_MS, so a flood of one bad key reaches the
 * tenant's object once per isolate per period.
 */
import type { TenantConfig } from "../../shared/config.ts";
import { sha256Hex } from "../../shared/hex.ts";
import { AUTH_CACHE_MAX_ENTRIES, AUTH_CACHE_TTL_MS, AUTH_MISS_TTL_MS } from "../../shared/limits.ts";
import type { Principal } from "../../shared/scopes.ts";
import { tenantObjectName, type Env } from "../../durable-objects/env.ts";
import { parseApiKey } from "../../durable-objects/tenant/api-key.ts";
import { forgetJwtTenant } from "./jwt-auth.ts";

export interface Authenticated {
  principal: Principal;
  config: TenantConfig;
}

const cache = new Map<string, { at: number; value: Authenticated }>();
const misses = new Map<string, { at: number; tenant: string }>();

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= AUTH_CACHE_MAX_ENTRIES) map.delete(map.keys().next().value!);
  map.set(key, value);
}

/** The presented API key from the headers this route accepts, or null. */
export function presentedKey(req: Request): string | null {
  const auth = req.headers.get("authorization");
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1]!;
  }
  return req.headers.get("x-api-key")?.trim() || null;
}

export async function authenticateKey(env: Env, key: string): Promise<Authenticated | null> {
  const parsed = parseApiKey(key);
  if (!parsed) return null;
  const cacheKey = await sha256Hex(key);
  const now = Date.now();
  const hit = cache.get(cacheKey);
  if (hit && now - hit.at < AUTH_CACHE_TTL_MS) return hit.value;
  const missed = misses.get(cacheKey);
  if (missed !== undefined && now - missed.at < AUTH_MISS_TTL_MS) return null;
  const stub = env.TENANT.getByName(tenantObjectName(parsed.tenant));
  const result = await stub.authenticate(parsed.keyId, key);
  if (result) {
    misses.delete(cacheKey);
    remember(cache, cacheKey, { at: now, value: result });
  } else {
    cache.delete(cacheKey);
    remember(misses, cacheKey, { at: now, tenant: parsed.tenant });
  }
  return result;
}

/**
 * Drop this isolate's cached results for a tenant, after an admin change to its keys or
 * status, so the isolate that made the change applies it at once (others within the TTLs).
 */
export function forgetTenant(tenant: string): void {
  for (const [k, v] of cache) if (v.value.principal.tenant === tenant) cache.delete(k);
  for (const [k, v] of misses) if (v.tenant === tenant) misses.delete(k);
  forgetJwtTenant(tenant);
}
