/**
 * The printed table and the targets of issue 9, from a results object. Pure: no I/O, so the
 * CLI test can format a fixture.
 */
import type { BundleCost, IngestCost } from "./cost.ts";
import type { EvidenceResult } from "./evidence.ts";
import type { HeapResult } from "./heap.ts";
import type { Breakdown, InDoRound } from "./in-do.ts";
import type { IngestCell } from "./ingest.ts";
import type { MachineInfo } from "./machine.ts";
import type { BundleRows, IngestRows } from "./rows.ts";

export interface Results {
  machine: MachineInfo;
  method: string;
  options: Record<string, unknown>;
  ingest?: IngestCell[];
  in_do?: InDoRound[];
  breakdown?: Breakdown;
  evidence?: EvidenceResult[];
  rows?: { ingest: IngestRows[]; bundles: BundleRows[] };
  heap?: HeapResult;
  cost?: { prices_usd: Record<string, number>; sources: string[]; ingest_per_million_events: IngestCost[]; per_bundle: BundleCost[] };
  targets?: Target[];
  profile?: Record<string, unknown>;
}

export interface Target {
  target: string;
  measured: string;
  /** null: not measured in this run. */
  met: boolean | null;
}

/** The original FixOps collector, issue 9: ~2,700 single-event POSTs/s at 8 connections. */
const FIXOPS_EVENTS_PER_SECOND = 2_700;

const f0 = (n: number) => Math.round(n).toLocaleString("en-US");
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const f3 = (n: number) => n.toFixed(3);
const pct = (n: number) => `${(n * 100).toFixed(0)}%`;

/** Left-aligned text table with a header rule. */
export function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (c ?? "").padEnd(w[i]!)).join("  ").trimEnd();
  return [line(header), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

function pair(cells: IngestCell[], c: IngestCell): IngestCell | undefined {
  return cells.find((o) => o.target !== c.target && o.batch === c.batch && o.connections === c.connections && o.assets === c.assets);
}

export function resultRows(r: Results): string[][] {
  const rows: string[][] = [];
  for (const c of r.ingest ?? []) {
    const other = c.target === "bridge" ? pair(r.ingest!, c) : undefined;
    rows.push([
      "ingest", `${c.target} batch ${c.batch} x${c.connections} conn ${c.assets} asset${c.assets > 1 ? "s" : ""}`,
      f0(c.requests_per_second), f0(c.events_per_second), f1(c.latency_ms.p50), f1(c.latency_ms.p95), f1(c.latency_ms.p99),
      `cpu ${f2(c.server_cpu_ms_per_request)} ms/req (+${f2(c.proxy_cpu_ms_per_request)} dev proxy)` + (other ? `; ${pct(c.requests_per_second / other.requests_per_second)} of no-op, p99 x${f2(c.latency_ms.p99 / other.latency_ms.p99)}` : ""),
    ]);
  }
  for (const d of r.in_do ?? []) {
    rows.push([
      "in-do", `${d.via === "rpc" ? "RPC from Worker" : "inside DO"} batch ${d.batch}${d.ring_full ? ", ring full" : ""}`,
      f0(d.appends / d.seconds), f0(d.events_per_second), "", "", "",
      `${f3(d.ms_per_append)} ms/append` + (d.rows_written_per_1000_events !== undefined
        ? `; rows/1k ev: ${f1(d.rows_written_per_1000_events)} written (${f1(d.trim_rows_written_per_1000_events ?? 0)} trim), ${f1(d.rows_read_per_append! * 1000 / d.batch)} read` : ""),
    ]);
  }
  for (const [step, us] of Object.entries(r.breakdown?.workerd ?? {})) {
    const node = r.breakdown!.node[step];
    rows.push(["step", step, "", "", "", "", "", `${f2(us)} us/event in workerd${node !== undefined ? `, ${f2(node)} in plain Node` : ""}`]);
  }
  for (const e of r.evidence ?? []) {
    rows.push([
      "evidence", `${f0(e.lines)} lines`, "", "", "", "", "",
      `build ${f3(e.build_seconds)} s, gz ${f2(e.gz_bytes / 1e6)} MB (JSONL ${f1(e.jsonl_bytes / 1e6)} MB), workerd RSS ${f0(e.workerd_rss_before_mb)}->${f0(e.workerd_peak_rss_mb)} MB, verify ${f3(e.verify_seconds)} s`,
    ]);
  }
  if (r.heap) {
    const h = r.heap;
    rows.push(["heap", `${f0(h.lines)} lines, V8 heap cap ${h.heap_cap_mb} MB`, "", "", "", "", "",
      `${h.bundle_built ? `built in ${f3(h.build_seconds!)} s` : "FAILED"}; cap ${h.control_large_failed && h.control_small_ok ? "verified" : "NOT verified"}`]);
  }
  for (const i of r.rows?.ingest ?? []) {
    const p = i.per_1000_events;
    rows.push(["rows", `per 1,000 events, batch ${i.batch} (HTTP)`, "", "", "", "", "",
      `asset ${f1(p.asset_rows_written)} written / ${f1(p.asset_rows_read)} read, setAlarm ${f1(p.asset_set_alarm)}, tenant ${f1(p.tenant_rows_written)} written / ${f1(p.tenant_rows_read)} read, ${f1(p.do_requests)} DO req; ${f0(i.bytes_per_event)} B/event stored`]);
  }
  for (const b of r.rows?.bundles ?? []) {
    rows.push(["rows", `per bundle of ${f0(b.lines)} lines`, "", "", "", "", "",
      `${f0(b.asset_rows_read)} read, ${f0(b.asset_rows_written)} written (+${b.tenant_rows_written} tenant, ${b.set_alarm} setAlarm), ${b.do_requests} DO req, R2 ${Object.entries(b.r2).map(([k, v]) => `${k} ${v}`).join(", ")}`]);
  }
  for (const c of r.cost?.ingest_per_million_events ?? []) {
    rows.push(["cost", `USD per 1M events, batch ${c.batch}`, "", "", "", "", "",
      `$${c.usd.total.toFixed(4)} (requests $${c.usd.worker_requests.toFixed(4)}, CPU $${c.usd.worker_cpu.toFixed(4)}, DO req $${c.usd.do_requests.toFixed(4)}, DO time $${c.usd.do_duration.toFixed(4)}, rows written $${c.usd.rows_written.toFixed(4)}, read $${c.usd.rows_read.toFixed(5)})`]);
  }
  for (const c of r.cost?.per_bundle ?? []) {
    rows.push(["cost", `USD per bundle of ${f0(c.lines)} lines`, "", "", "", "", "",
      `$${c.usd.total.toFixed(6)} (R2 ops $${c.usd.r2_operations.toFixed(6)}, R2 storage 365 d $${c.usd.r2_storage_365_days.toFixed(6)}, rows $${c.usd.rows.toFixed(6)}, requests $${c.usd.do_and_worker_requests.toFixed(6)}, DO time $${c.usd.do_duration.toFixed(7)})`]);
  }
  return rows;
}

export function formatResults(r: Results): string {
  const head = `Telemetry Bridge benchmark — ${r.machine.cpu_model}, ${r.machine.cores} cores, ${r.machine.ram_gib} GiB; ` +
    `node ${r.machine.node}, wrangler ${r.machine.wrangler}, workerd ${r.machine.workerd}; servers built from ${r.machine.measured ?? r.machine.commit}; ${r.machine.date}; ` +
    `load ${f2(r.machine.load_start)}${r.machine.load_end !== undefined ? ` -> ${f2(r.machine.load_end)}` : ""}`;
  const t = table(["section", "case", "req/s", "events/s", "p50 ms", "p95 ms", "p99 ms", "notes"], resultRows(r));
  const targets = (r.targets ?? []).map((x) => `  [${x.met === null ? " n/a " : x.met ? " met " : "MISSED"}] ${x.target}: ${x.measured}`);
  return [head, "", t, ...(targets.length ? ["", "Targets (issue 9):", ...targets] : [])].join("\n");
}

function cellOf(r: Results, target: string, batch: number, conns: number, assets: number): IngestCell | undefined {
  return r.ingest?.find((c) => c.target === target && c.batch === batch && c.connections === conns && c.assets === assets);
}

/** Each target of issue 9 with the value this run measured (null when its section did not run). */
export function evaluateTargets(r: Results): Target[] {
  const out: Target[] = [];
  const maxConns = Math.max(...(r.ingest?.map((c) => c.connections) ?? [1]));
  const b1 = cellOf(r, "bridge", 1, maxConns, 1);
  const n1 = cellOf(r, "noop", 1, maxConns, 1);
  if (b1 && n1) {
    const ratio = b1.requests_per_second / n1.requests_per_second;
    out.push({ target: `single-event requests/s >= 85% of the no-op's (${maxConns} conn, 1 asset)`, measured: `${f0(b1.requests_per_second)} vs ${f0(n1.requests_per_second)} req/s = ${pct(ratio)}`, met: ratio >= 0.85 });
    const p = b1.latency_ms.p99 / n1.latency_ms.p99;
    out.push({ target: "single-event p99 <= 1.5x the no-op's", measured: `${f1(b1.latency_ms.p99)} vs ${f1(n1.latency_ms.p99)} ms = x${f2(p)}`, met: p <= 1.5 });
  }
  for (const assets of [1, 64]) {
    const b = cellOf(r, "bridge", 1000, maxConns, assets);
    const n = cellOf(r, "noop", 1000, maxConns, assets);
    if (!b || !n) continue;
    const ratio = b.events_per_second / n.events_per_second;
    out.push({ target: `1,000-event requests >= 75% of the no-op's events/s (${maxConns} conn, ${assets} asset${assets > 1 ? "s" : ""})`, measured: `${f0(b.events_per_second)} vs ${f0(n.events_per_second)} events/s = ${pct(ratio)}`, met: ratio >= 0.75 });
    out.push({ target: `1,000-event requests >= 100x the FixOps collector (${f0(100 * FIXOPS_EVENTS_PER_SECOND)} events/s; ${assets} asset${assets > 1 ? "s" : ""})`, measured: `${f0(b.events_per_second)} events/s = ${f0(b.events_per_second / FIXOPS_EVENTS_PER_SECOND)}x`, met: b.events_per_second >= 100 * FIXOPS_EVENTS_PER_SECOND });
  }
  const inDo = r.in_do?.find((d) => d.via === "in-do" && d.batch === 1000 && d.ring_full);
  if (inDo) out.push({ target: "inside the DO, 1,000-event appends, ring full and trimming >= 500,000 events/s", measured: `${f0(inDo.events_per_second)} events/s`, met: inDo.events_per_second >= 500_000 });
  const e200 = r.evidence?.find((e) => e.lines === 200_000);
  if (e200) {
    out.push({ target: "200,000-line signed bundle <= 0.8 s", measured: `${f3(e200.build_seconds)} s`, met: e200.build_seconds <= 0.8 });
    out.push({ target: "offline verify of the 200,000-line bundle <= 1.0 s", measured: `${f3(e200.verify_seconds)} s`, met: e200.verify_seconds <= 1.0 });
  }
  if (r.heap) {
    const h = r.heap;
    const verified = h.control_large_failed && h.control_small_ok;
    out.push({ target: `${f0(h.lines)}-line bundle completes with workerd's V8 heap capped at ${h.heap_cap_mb} MB`, measured: `${h.bundle_built ? "built" : "failed"}; cap ${verified ? "verified by a control" : "not verified"}`, met: verified ? h.bundle_built : null });
  }
  const steady = r.in_do?.find((d) => d.via === "in-do" && d.batch === 1000);
  const http = r.rows?.ingest.find((i) => i.batch === 1000);
  if (steady || http) {
    const perEvent = steady ? (steady.rows_written_per_1000_events! + steady.set_alarm_per_append!) / 1000 : http!.per_1000_events.asset_rows_written / 1000;
    out.push({ target: "<= 0.01 DO rows written per event at 1,000-event requests", measured: `${perEvent.toFixed(4)} rows/event${steady ? " (ring full, trimming, setAlarm included)" : ""}`, met: perEvent <= 0.01 });
  }
  if (steady) {
    out.push({ target: "no full-table scan on the append path (rows read per append stays small with the ring full)", measured: `${f1(steady.rows_read_per_append!)} rows read per append with ${f0(steady.appends)} appends over a full ring`, met: steady.rows_read_per_append! < 50 });
  }
  if (r.cost?.ingest_per_million_events.length) out.push({ target: "cost per million events documented", measured: r.cost.ingest_per_million_events.map((c) => `batch ${c.batch}: $${c.usd.total.toFixed(4)}`).join(", "), met: true });
  return out;
}
