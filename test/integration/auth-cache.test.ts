/**
 * The per-isolate API-key cache (workers/auth/api-key-auth.ts): a key revoked or a tenant
 * disabled through another isolate stops authenticating here within AUTH_CACHE_TTL_MS (the
 * bound docs/security.md states); the isolate that made the change forgets at once.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tenantObjectName } from "../../durable-objects/env.ts";
import { authenticateKey, forgetTenant } from "../../workers/auth/api-key-auth.ts";
import { AUTH_CACHE_TTL_MS, AUTH_MISS_TTL_MS } from "../../shared/limits.ts";
import { admin, createKey, tenantWithKey } from "../fixtures/bridge.ts";

const keyIdOf = (key: string) => key.split("_")[2]!;

afterEach(() => vi.restoreAllMocks());
beforeEach(() => {
  t0 = Date.now();
  clock(0);
});

/** Date.now() set to `ms` after the test's start. */
let t0 = 0;
function clock(ms: number): void {
  vi.spyOn(Date, "now").mockReturnValue(t0 + ms);
}

describe("API-key cache", () => {
  it("a key revoked through another isolate is refused here within AUTH_CACHE_TTL_MS", async () => {
    const key = await tenantWithKey("cache-revoke");
    const other = await createKey("cache-revoke", ["ingest"]);
    expect(await authenticateKey(env, key)).toMatchObject({ principal: { tenant: "cache-revoke", keyId: keyIdOf(key) } });
    expect(await authenticateKey(env, other)).not.toBeNull();
    // Revoked straight in the tenant's object, as an admin request served by another isolate would.
    const stub = env.TENANT.getByName(tenantObjectName("cache-revoke"));
    expect((await stub.revokeKey(keyIdOf(key), "operator")).ok).toBe(true);
    // Still served from this isolate's cache until the TTL runs out: the documented bound.
    clock(AUTH_CACHE_TTL_MS - 1);
    expect(await authenticateKey(env, key)).not.toBeNull();
    clock(AUTH_CACHE_TTL_MS);
    expect(await authenticateKey(env, key)).toBeNull();
    // Once the cached refusal expires too, the object is asked again: still refused.
    clock(AUTH_CACHE_TTL_MS + AUTH_MISS_TTL_MS + 1);
    expect(await authenticateKey(env, key)).toBeNull();
    // The tenant's other key is unaffected.
    expect(await authenticateKey(env, other)).not.toBeNull();
  });

  it("revoking through this isolate's admin API applies at once", async () => {
    const key = await tenantWithKey("cache-admin");
    expect(await authenticateKey(env, key)).not.toBeNull();
    expect((await admin(`/v1/admin/tenants/cache-admin/keys/${keyIdOf(key)}`, "DELETE")).status).toBe(200);
    expect(await authenticateKey(env, key)).toBeNull();
  });

  it("a tenant disabled elsewhere stops authenticating within AUTH_CACHE_TTL_MS; forgetTenant drops its entries at once", async () => {
    const key = await tenantWithKey("cache-disable");
    expect(await authenticateKey(env, key)).not.toBeNull();
    const stub = env.TENANT.getByName(tenantObjectName("cache-disable"));
    expect((await stub.update({ status: "disabled" }, "operator")).ok).toBe(true);
    clock(AUTH_CACHE_TTL_MS - 1);
    expect(await authenticateKey(env, key)).not.toBeNull();
    clock(AUTH_CACHE_TTL_MS);
    expect(await authenticateKey(env, key)).toBeNull();
    // Re-enabled: the cached refusal lasts AUTH_MISS_TTL_MS, unless this isolate is told.
    expect((await stub.update({ status: "active" }, "operator")).ok).toBe(true);
    expect(await authenticateKey(env, key)).toBeNull();
    forgetTenant("cache-disable");
    expect(await authenticateKey(env, key)).not.toBeNull();
  });
});
