/**
 * The per-tenant request log: each isolate buffers its authenticated requests and sends
 * them to the tenant's object in batches (REQUEST_LOG_FLUSH_RECORDS, or REQUEST_LOG_FLUSH_MS
 * after the first, kept alive by that request's waitUntil), off the response path. Best effort: a batch in an isolate that dies
 * before sending is lost, which the dashboard can live with and ingest never waits for.
 */
import { REQUEST_LOG_FLUSH_MS, REQUEST_LOG_FLUSH_RECORDS } from "../shared/limits.ts";
import { tenantObjectName, type Env } from "../durable-objects/env.ts";
import type { RequestRecord } from "../durable-objects/tenant/tenant.ts";

const pending = new Map<string, { since: number; records: RequestRecord[] }>();

export function logRequest(env: Env, waitUntil: (p: Promise<unknown>) => void, tenant: string, record: RequestRecord): void {
  let buf = pending.get(tenant);
  if (!buf) {
    pending.set(tenant, (buf = { since: record.at, records: [] }));
    // The request that opens a batch also sends it, at the latest after REQUEST_LOG_FLUSH_MS.
    const opened = buf;
    waitUntil(new Promise((r) => setTimeout(r, REQUEST_LOG_FLUSH_MS)).then(() => flush(env, tenant, opened)));
  }
  buf.records.push(record);
  if (buf.records.length >= REQUEST_LOG_FLUSH_RECORDS) waitUntil(flush(env, tenant, buf));
}

async function flush(env: Env, tenant: string, buf: { records: RequestRecord[] }): Promise<void> {
  if (pending.get(tenant) !== buf) return;
  pending.delete(tenant);
  await env.TENANT.getByName(tenantObjectName(tenant)).recordRequests(buf.records).catch(() => undefined);
}
