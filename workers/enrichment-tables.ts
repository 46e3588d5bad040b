/**
 * The edge's per-isolate cache of each tenant's enrichment tables. A cached set is used for
 * ENRICHMENT_TABLES_CHECK_MS; after that the next request asks the tenant's object whether the
 * version changed (an answer without tables when it has not). The isolate that serves an upload
 * or delete drops its copy at once (`forgetTables`), so the next request there sees the change;
 * every other isolate within ENRICHMENT_TABLES_CHECK_MS. Bounded by ENRICHMENT_CACHE_MAX_BYTES,
 * least recently used tenants first.
 */
import type { EnrichmentTables } from "../shared/enrichment/enrich.ts";
import { decodeRangeTable } from "../shared/enrichment/range-table.ts";
import { ENRICHMENT_CACHE_MAX_BYTES, ENRICHMENT_TABLES_CHECK_MS } from "../shared/limits.ts";
import { tenantObjectName, type Env } from "../durable-objects/env.ts";
import { log } from "./log.ts";

interface Entry { tables: EnrichmentTables; checked: number; bytes: number }

const cache = new Map<string, Entry>();
const loading = new Map<string, Promise<EnrichmentTables>>();
/** Bumped by forgetTables: a load that began before a change must not cache what it read. */
const generation = new Map<string, number>();

/** The tenant's tables, current within ENRICHMENT_TABLES_CHECK_MS (at once after a change made in this isolate). */
export function tenantTables(env: Env, tenant: string): Promise<EnrichmentTables> {
  const hit = cache.get(tenant);
  if (hit && Date.now() - hit.checked < ENRICHMENT_TABLES_CHECK_MS) {
    cache.delete(tenant);
    cache.set(tenant, hit); // most recently used last
    return Promise.resolve(hit.tables);
  }
  // Concurrent requests of one tenant share one load.
  let p = loading.get(tenant);
  if (!p) {
    const started: Promise<EnrichmentTables> = load(env, tenant, hit).finally(() => {
      if (loading.get(tenant) === started) loading.delete(tenant);
    });
    loading.set(tenant, (p = started));
  }
  return p;
}

async function load(env: Env, tenant: string, hit: Entry | undefined): Promise<EnrichmentTables> {
  const gen = generation.get(tenant) ?? 0;
  const answer = await env.TENANT.getByName(tenantObjectName(tenant)).rangeTables(hit?.tables.version ?? null);
  const now = Date.now();
  if (hit && !answer.tables && answer.version === hit.tables.version) {
    hit.checked = now;
    return hit.tables;
  }
  const tables: EnrichmentTables = { version: answer.version, asn: null, lists: [] };
  let bytes = 0;
  for (const t of answer.tables ?? []) {
    const table = decodeRangeTable(t.data);
    if (!table) {
      // Written by this code at upload: a table that does not decode is a bug, not input.
      log.error("RangeTableUnreadable", { tenant, table: t.name });
      continue;
    }
    bytes += t.data.byteLength * 2;
    if (t.kind === "asn") tables.asn = table;
    else tables.lists.push({ name: t.name, table });
  }
  if ((generation.get(tenant) ?? 0) !== gen) return tables;
  cache.delete(tenant);
  cache.set(tenant, { tables, checked: now, bytes });
  let total = 0;
  for (const e of cache.values()) total += e.bytes;
  for (const [k, e] of cache) {
    if (total <= ENRICHMENT_CACHE_MAX_BYTES || k === tenant) break;
    cache.delete(k);
    total -= e.bytes;
  }
  return tables;
}

/** Drop this isolate's copy after a change, so its next request loads the new version. */
export function forgetTables(tenant: string): void {
  cache.delete(tenant);
  loading.delete(tenant);
  generation.set(tenant, (generation.get(tenant) ?? 0) + 1);
}
