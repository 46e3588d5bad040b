/**
 * Tenant and key quotas at the edge. Counters live in the tenant's Durable Object in fixed
 * one-minute windows; each isolate leases slices of them (QUOTA_LEASE_FRACTION of the limit)
 * and spends them locally, so a request reaches the tenant's object only when its isolate's
 * slice runs out. Per-asset caps are enforced exactly in each AssetLog.
 */
import type { Quotas } from "../shared/tenant-config.ts";
import { QUOTA_LEASE_FRACTION, QUOTA_WINDOW_MS } from "../shared/limits.ts";
import type { Principal } from "../shared/scopes.ts";
import { tenantObjectName, type Env } from "../durable-objects/env.ts";

const leases = new Map<string, { window: number; remaining: number }>();
const MAX_LEASES = 10_000;

/** Admit a request carrying `events` events, or return the seconds until the window resets. */
export async function spendQuota(env: Env, principal: Principal, quotas: Quotas, events: number): Promise<number> {
  const now = Date.now();
  const window = Math.floor(now / QUOTA_WINDOW_MS);
  const wanted = [
    { counter: "tenant:requests", limit: quotas.requests_per_minute, need: 1 },
    { counter: "tenant:events", limit: quotas.events_per_minute, need: events },
    { counter: `key:${principal.keyId}:requests`, limit: quotas.key_requests_per_minute, need: 1 },
  ].filter((w) => w.limit > 0);
  const local = wanted.map((w) => {
    const id = `${principal.tenant}|${w.counter}`;
    let lease = leases.get(id);
    if (!lease || lease.window !== window) {
      if (leases.size >= MAX_LEASES) leases.delete(leases.keys().next().value!);
      lease = { window, remaining: 0 };
      leases.set(id, lease);
    }
    return { ...w, lease };
  });
  const short = local.filter((l) => l.lease.remaining < l.need);
  if (short.length) {
    const res = await env.TENANT.getByName(tenantObjectName(principal.tenant)).lease(
      short.map((l) => ({ counter: l.counter, limit: l.limit, want: Math.max(l.need - l.lease.remaining, Math.ceil(l.limit * QUOTA_LEASE_FRACTION)) })),
    );
    short.forEach((l, i) => (l.lease.remaining += res.granted[i]!));
    // Re-check every counter: other requests of this isolate may have spent during the await.
    if (local.some((l) => l.lease.remaining < l.need)) return Math.max(1, Math.ceil((res.window_end - now) / 1000));
  }
  for (const l of local) l.lease.remaining -= l.need;
  return 0;
}
