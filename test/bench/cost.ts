/**
 * Cost model: Cloudflare list prices (Workers Paid, marginal rates above the monthly
 * allowances) applied to the counts this run measured. Sources, read 2026-11:
 *   https://developers.cloudflare.com/workers/platform/pricing/
 *   https://developers.cloudflare.com/durable-objects/platform/pricing/ (compute, and SQLite storage billing)
 *   https://developers.cloudflare.com/r2/pricing/
 */
import type { InDoRound } from "./in-do.ts";
import type { IngestCell } from "./ingest.ts";
import type { BundleRows, IngestRows } from "./rows.ts";

export const PRICES_USD = {
  worker_request_per_million: 0.3,
  worker_cpu_ms_per_million: 0.02,
  do_request_per_million: 0.15,
  /** Duration is billed for 128 MB while the object is active. */
  do_gb_second_per_million: 12.5,
  do_gb: 0.128,
  sqlite_rows_read_per_million: 0.001,
  /** setAlarm is billed as one row written. */
  sqlite_rows_written_per_million: 1.0,
  sqlite_gb_month: 0.2,
  r2_class_a_per_million: 4.5,
  r2_class_b_per_million: 0.36,
  r2_gb_month: 0.015,
} as const;

export const PRICE_SOURCES = [
  "https://developers.cloudflare.com/workers/platform/pricing/",
  "https://developers.cloudflare.com/durable-objects/platform/pricing/",
  "https://developers.cloudflare.com/r2/pricing/",
];

const P = PRICES_USD;
const R2_A = new Set(["put", "list", "createMultipartUpload", "uploadPart", "complete"]);
const R2_B = new Set(["get", "head"]);

export interface IngestCost {
  batch: number;
  /** Inputs per million events, as measured. */
  worker_requests: number;
  worker_cpu_ms: number;
  do_requests: number;
  do_gb_seconds: number;
  rows_written: number;
  rows_read: number;
  /** USD per million events, by item and in all. */
  usd: { worker_requests: number; worker_cpu: number; do_requests: number; do_duration: number; rows_written: number; rows_read: number; total: number };
}

export interface BundleCost {
  lines: number;
  usd: { do_and_worker_requests: number; rows: number; r2_operations: number; r2_storage_365_days: number; do_duration: number; total: number };
}

/**
 * Per million events at each batch size. Worker CPU = the bridge's workerd CPU per request
 * minus the no-op's (fewest connections measured, 1 asset): our code in the Worker and the object, without
 * the runtime's own HTTP work (not billed). Asset rows and DO time come from the in-DO steady
 * state (ring full, trimming); tenant rows and DO requests from the HTTP path.
 */
export function ingestCosts(cells: IngestCell[], rows: IngestRows[], inDo: InDoRound[]): IngestCost[] {
  const out: IngestCost[] = [];
  for (const r of rows) {
    // The fewest connections measured: least contention, so CPU per request is least inflated.
    const conns = Math.min(...cells.map((c) => c.connections));
    const cell = (t: string) => cells.find((c) => c.target === t && c.batch === r.batch && c.connections === conns && c.assets === 1);
    const bridge = cell("bridge");
    const noop = cell("noop");
    const steady = inDo.find((d) => d.via === "in-do" && d.batch === r.batch);
    if (!bridge || !noop || !steady) continue;
    const requests = 1e6 / r.batch;
    const cpuMs = Math.max(0, bridge.server_cpu_ms_per_request - noop.server_cpu_ms_per_request) * requests;
    const doRequests = r.per_1000_events.do_requests * 1000;
    const gbSeconds = (steady.ms_per_append / 1000) * requests * P.do_gb;
    const written = (steady.rows_written_per_1000_events! + steady.set_alarm_per_append! * (1000 / r.batch) + r.per_1000_events.tenant_rows_written) * 1000;
    const read = (steady.rows_read_per_append! * (1000 / r.batch) + r.per_1000_events.tenant_rows_read) * 1000;
    const usd = {
      worker_requests: (requests / 1e6) * P.worker_request_per_million,
      worker_cpu: (cpuMs / 1e6) * P.worker_cpu_ms_per_million,
      do_requests: (doRequests / 1e6) * P.do_request_per_million,
      do_duration: (gbSeconds / 1e6) * P.do_gb_second_per_million,
      rows_written: (written / 1e6) * P.sqlite_rows_written_per_million,
      rows_read: (read / 1e6) * P.sqlite_rows_read_per_million,
      total: 0,
    };
    usd.total = Object.values(usd).reduce((a, b) => a + b, 0);
    out.push({ batch: r.batch, worker_requests: requests, worker_cpu_ms: cpuMs, do_requests: doRequests, do_gb_seconds: gbSeconds, rows_written: written, rows_read: read, usd });
  }
  return out;
}

/** Per bundle: its DO and Worker requests, rows, R2 operations, a year of R2 storage, and the build's DO time. */
export function bundleCosts(bundles: BundleRows[], buildSeconds: Map<number, number>): BundleCost[] {
  return bundles.map((b) => {
    const count = (set: Set<string>) => Object.entries(b.r2).filter(([k]) => set.has(k)).reduce((n, [, v]) => n + v, 0);
    const usd = {
      do_and_worker_requests: (b.do_requests / 1e6) * P.do_request_per_million + P.worker_request_per_million / 1e6,
      rows: ((b.asset_rows_written + b.tenant_rows_written + b.set_alarm) / 1e6) * P.sqlite_rows_written_per_million + (b.asset_rows_read / 1e6) * P.sqlite_rows_read_per_million,
      r2_operations: (count(R2_A) / 1e6) * P.r2_class_a_per_million + (count(R2_B) / 1e6) * P.r2_class_b_per_million,
      r2_storage_365_days: (b.gz_bytes / 1e9) * 12 * P.r2_gb_month,
      do_duration: ((buildSeconds.get(b.lines) ?? 0) * P.do_gb / 1e6) * P.do_gb_second_per_million,
      total: 0,
    };
    usd.total = Object.values(usd).reduce((a, b) => a + b, 0);
    return { lines: b.lines, usd };
  });
}
