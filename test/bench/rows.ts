/**
 * Rows section, on the instrumented bridge (real Worker, metered objects): what Cloudflare
 * would bill for ingest through HTTP and for building a bundle, counted from the SQLite
 * cursors (`rowsRead`/`rowsWritten`), setAlarm calls (one row written each), DO invocations
 * (RPC calls and alarms) and R2 operations. Each measurement starts after a warm-up request
 * (schema and first-append rows are one-off) and after the meters are reset.
 */
import { BodyFactory } from "./bodies.ts";
import { build, fill } from "./evidence.ts";
import { runLoad } from "./load.ts";
import type { Server } from "./servers.ts";

export interface Meters {
  rows_read: number;
  rows_written: number;
  set_alarm: number;
  r2: Record<string, number>;
  calls: Record<string, number>;
  database_bytes: number;
}
type MeterSet = { assets: Record<string, Meters>; tenant: Meters; directory: Meters };

export interface IngestRows {
  batch: number;
  requests: number;
  events: number;
  per_1000_events: {
    asset_rows_written: number;
    asset_rows_read: number;
    asset_set_alarm: number;
    tenant_rows_written: number;
    tenant_rows_read: number;
    do_requests: number;
  };
  /** Growth of the asset's SQLite database per stored event. */
  bytes_per_event: number;
  calls: Record<string, number>;
}

export interface BundleRows {
  lines: number;
  asset_rows_read: number;
  asset_rows_written: number;
  tenant_rows_written: number;
  set_alarm: number;
  do_requests: number;
  r2: Record<string, number>;
  gz_bytes: number;
}

const QUIET_MS = 1500; // the request log flushes within REQUEST_LOG_FLUSH_MS (1 s)

async function meters(server: Server, assets: string[], reset = false): Promise<MeterSet> {
  const res = await fetch(`${server.bridge.url}/__bench/meter?tenant=bench&assets=${assets.join(",")}${reset ? "&reset=1" : ""}`);
  if (res.status !== 200) throw new Error(`meter: ${res.status} ${await res.text()}`);
  return (await res.json()) as MeterSet;
}

const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
const quiet = () => new Promise((r) => setTimeout(r, QUIET_MS));

async function send(server: Server, key: string, asset: string, batch: number, requests: number, bodies: BodyFactory): Promise<void> {
  const res = await runLoad({
    origin: server.bridge.url, path: () => `/v1/logs?asset=${asset}`,
    headers: { "Content-Type": "application/x-ndjson", Authorization: `Bearer ${key}` },
    body: () => bodies.next(), connections: 1, warmupMs: 0, warmupMinRequests: 0, durationMs: 600_000, maxRequests: requests,
  });
  if (res.statuses["200"] !== requests) throw new Error(`rows batch ${batch}: ${JSON.stringify(res.statuses)}`);
}

/** `target`: about how many events to send per batch size (at least 20 requests, at most 1,000). */
export async function runIngestRows(server: Server, key: string, batches: number[], target: number, log: (s: string) => void): Promise<IngestRows[]> {
  const out: IngestRows[] = [];
  for (const batch of batches) {
    const asset = `rows-b${batch}`;
    const requests = Math.max(20, Math.round(Math.min(1000, target / batch)));
    const bodies = new BodyFactory(batch);
    await send(server, key, asset, batch, 1, bodies);
    await quiet();
    const before = await meters(server, [asset], true);
    await send(server, key, asset, batch, requests, bodies);
    await quiet();
    const m = await meters(server, [asset]);
    const a = m.assets[asset]!;
    const events = requests * batch;
    const per = (x: number) => (x / events) * 1000;
    const r: IngestRows = {
      batch, requests, events,
      per_1000_events: {
        asset_rows_written: per(a.rows_written), asset_rows_read: per(a.rows_read), asset_set_alarm: per(a.set_alarm),
        tenant_rows_written: per(m.tenant.rows_written), tenant_rows_read: per(m.tenant.rows_read),
        do_requests: per(sum(a.calls) + sum(m.tenant.calls) + sum(m.directory.calls)),
      },
      bytes_per_event: (a.database_bytes - before.assets[asset]!.database_bytes) / events,
      calls: { ...prefix("asset.", a.calls), ...prefix("tenant.", m.tenant.calls), ...prefix("directory.", m.directory.calls) },
    };
    out.push(r);
    const p = r.per_1000_events;
    log(`rows batch ${batch}: per 1,000 events ${p.asset_rows_written.toFixed(1)} asset rows written, ${p.asset_rows_read.toFixed(1)} read, ` +
      `${p.tenant_rows_written.toFixed(1)} tenant rows written, ${p.do_requests.toFixed(1)} DO requests; ${r.bytes_per_event.toFixed(0)} B/event`);
  }
  return out;
}

function prefix(p: string, o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [p + k, v]));
}

export async function runBundleRows(server: Server, key: string, sizes: number[], log: (s: string) => void): Promise<BundleRows[]> {
  const out: BundleRows[] = [];
  for (const n of sizes) {
    const asset = `rows-e${n}`;
    await fill(server, key, asset, n);
    await quiet();
    await meters(server, [asset], true);
    const { body } = await build(server, key, asset);
    await quiet();
    const m = await meters(server, [asset]);
    const a = m.assets[asset]!;
    const r: BundleRows = {
      lines: n, asset_rows_read: a.rows_read, asset_rows_written: a.rows_written, tenant_rows_written: m.tenant.rows_written,
      set_alarm: a.set_alarm, do_requests: sum(a.calls) + sum(m.tenant.calls) + sum(m.directory.calls), r2: a.r2,
      gz_bytes: body.metadata.compressed_size_bytes,
    };
    out.push(r);
    log(`rows bundle ${n} lines: ${r.asset_rows_read} rows read, ${r.asset_rows_written} written (+${r.tenant_rows_written} tenant), ` +
      `R2 ${JSON.stringify(r.r2)}, ${r.do_requests} DO requests`);
  }
  return out;
}
