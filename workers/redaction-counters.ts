/**
 * Redaction counters on their way to the tenant's object, where GET /metrics reads them
 * (`telemetry_redactions_total{reason}`). Each isolate sums a tenant's counts and sends them
 * REDACTION_COUNTS_FLUSH_MS after the first, kept alive by that request's waitUntil, so
 * ingest never waits and the tenant's object gets one write per isolate per second at most.
 * The ingest answer carries the request's own counts exactly; the totals may lag by that
 * second, and lose it if the isolate dies before sending.
 */
import { REDACTION_COUNTS_FLUSH_MS } from "../shared/limits.ts";
import type { RedactionCounts } from "../shared/redaction/redact.ts";
import { tenantObjectName, type Env } from "../durable-objects/env.ts";
import { log } from "./log.ts";

const pending = new Map<string, RedactionCounts>();

export function countRedactions(env: Env, waitUntil: (p: Promise<unknown>) => void, tenant: string, counts: RedactionCounts): void {
  if (!Object.keys(counts).length) return;
  let buf = pending.get(tenant);
  if (!buf) {
    pending.set(tenant, (buf = {}));
    const opened = buf;
    waitUntil(new Promise((r) => setTimeout(r, REDACTION_COUNTS_FLUSH_MS)).then(() => flush(env, tenant, opened)));
  }
  for (const [reason, n] of Object.entries(counts)) buf[reason] = (buf[reason] ?? 0) + n;
}

async function flush(env: Env, tenant: string, buf: RedactionCounts): Promise<void> {
  if (pending.get(tenant) !== buf) return;
  pending.delete(tenant);
  await env.TENANT.getByName(tenantObjectName(tenant)).addRedactions(buf).catch((e: unknown) => {
    log.warn("RedactionCountsLost", { tenant, error: String((e as Error)?.message ?? e) });
  });
}
