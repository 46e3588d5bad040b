/**
 * Ingest section: POST /v1/logs (NDJSON, ~260 B records) against the bridge and the no-op
 * baseline, cell by cell (batch size x connections x assets), the two targets back to back
 * so their ratio sees the same machine conditions. Every cell uses assets of its own.
 */
import { BodyFactory } from "./bodies.ts";
import { runLoad, type LoadResult } from "./load.ts";
import { cpuSeconds, type Server } from "./servers.ts";

export interface IngestCell extends LoadResult {
  target: "bridge" | "noop";
  batch: number;
  connections: number;
  assets: number;
  events_per_second: number;
  body_bytes: number;
  /** CPU of the runtime workerd (Worker + objects + runtime) per request, ms. */
  server_cpu_ms_per_request: number;
  /** CPU of wrangler dev's proxy workerd per request, ms (a local-only hop, as much for both targets). */
  proxy_cpu_ms_per_request: number;
}

export interface IngestPlan {
  batches: number[];
  connections: number[];
  assets: number[];
  seconds: number;
  warmupSeconds: number;
}

/** Per cell at most this many events (bounds disk: ~300 B of SQLite per stored event). */
const MAX_EVENTS_PER_CELL = 5_000_000;

export async function runCell(server: Server, key: string | null, target: IngestCell["target"], batch: number, connections: number, assets: number, plan: IngestPlan, tag: string): Promise<IngestCell> {
  const bodies = new BodyFactory(batch);
  let cpu0 = [0, 0];
  let cpu = [0, 0];
  const read = () => [cpuSeconds(server.workerd), cpuSeconds(server.proxy)];
  const res = await runLoad({
    origin: server.bridge.url,
    path: (i) => `/v1/logs?asset=${tag}-${i % assets}`,
    headers: { "Content-Type": "application/x-ndjson", ...(key ? { Authorization: `Bearer ${key}` } : {}) },
    body: () => bodies.next(),
    connections,
    warmupMs: plan.warmupSeconds * 1000,
    warmupMinRequests: assets,
    durationMs: plan.seconds * 1000,
    maxRequests: Math.max(1, Math.floor(MAX_EVENTS_PER_CELL / batch)),
    onMeasure: (phase) => {
      if (phase === "start") cpu0 = read();
      else cpu = read().map((c, i) => c - cpu0[i]!);
    },
  });
  const bad = Object.entries(res.statuses).filter(([s]) => s !== "200");
  if (bad.length) throw new Error(`${target} batch ${batch}: non-200 answers ${JSON.stringify(Object.fromEntries(bad))}`);
  return {
    target, batch, connections, assets, ...res,
    events_per_second: res.requests_per_second * batch,
    body_bytes: bodies.bytes,
    server_cpu_ms_per_request: (cpu[0]! * 1000) / res.requests,
    proxy_cpu_ms_per_request: (cpu[1]! * 1000) / res.requests,
  };
}

export async function runIngest(bridge: Server, key: string, noop: Server, plan: IngestPlan, log: (s: string) => void): Promise<IngestCell[]> {
  const cells: IngestCell[] = [];
  let n = 0;
  for (const batch of plan.batches) {
    for (const assets of plan.assets) {
      for (const connections of plan.connections) {
        const tag = `i${n++}`;
        for (const [target, server, k] of [["noop", noop, null], ["bridge", bridge, key]] as const) {
          const cell = await runCell(server, k, target, batch, connections, assets, plan, tag);
          cells.push(cell);
          log(`ingest ${target.padEnd(6)} batch ${String(batch).padStart(4)} x${String(connections).padStart(2)} conn, ${String(assets).padStart(2)} asset(s): ` +
            `${cell.requests_per_second.toFixed(0)} req/s, ${cell.events_per_second.toFixed(0)} ev/s, p99 ${cell.latency_ms.p99.toFixed(1)} ms`);
        }
      }
    }
  }
  return cells;
}
