/**
 * In-DO section, on the instrumented bridge: appends straight to AssetLog.append inside the
 * object (no HTTP, no RPC; Merkle leaf and node hashing included). The ring (200,000 lines by
 * default) is filled first; then timed rounds of 50 x 1,000-event appends run with the real
 * trimming alarm every 10 appends. Batches are built (and packed, as the edge sends them) in a
 * separate call, so only appends (and trims) are timed, by the Node clock around the call. Batches of 1 and 100 (on small
 * rings, also full and trimming) and the RPC path (the same batches sent from the Worker)
 * are measured too, for the cost model.
 */
import { readFileSync } from "node:fs";
import type { Server } from "./servers.ts";

/**
 * steps.ts runs the Worker's and the DO's own code, so it typechecks with the Worker types
 * (via instrumented/breakdown.ts); loaded by a computed specifier, the Node program does not
 * pull the Durable Object sources in.
 */
const STEPS_MODULE = "./steps.ts";
const MERKLE_WASM = new URL("../../shared/evidence/wasm/merkle-sha256.wasm", import.meta.url);
const pureSteps = async (batches: number): Promise<Record<string, number>> =>
  ((await import(STEPS_MODULE)) as { pureSteps: (b: number, wasm: WebAssembly.Module) => Promise<Record<string, number>> })
    .pureSteps(batches, new WebAssembly.Module(readFileSync(MERKLE_WASM)));

/** Microseconds per event of each step of ingest and append, in workerd and in plain Node. */
export interface Breakdown {
  batches: number;
  workerd: Record<string, number>;
  node: Record<string, number>;
}

/**
 * Each step alone (test/bench/steps.ts), in workerd and in this Node process, four times each
 * (the first warms the JIT); the least of the other three is kept: on a shared machine the
 * least is the one least disturbed.
 */
export async function runBreakdown(server: Server, batches: number, log: (s: string) => void): Promise<Breakdown> {
  const workerd: Record<string, number> = {};
  const node: Record<string, number> = {};
  const keepLeast = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [k, v] of Object.entries(from)) into[k] = Math.min(into[k] ?? Infinity, v);
  };
  for (let i = 0; i < 4; i++) {
    const w = await post(server, `/__bench/breakdown?asset=breakdown&batches=${batches}`);
    const n = await pureSteps(batches);
    if (i === 0) continue;
    keepLeast(workerd, w);
    keepLeast(node, n);
  }
  for (const [k, v] of Object.entries(workerd)) log(`breakdown ${k}: ${v.toFixed(2)} us/event in workerd${node[k] !== undefined ? `, ${node[k]!.toFixed(2)} in Node` : ""}`);
  return { batches, workerd, node };
}

export interface InDoRound {
  batch: number;
  via: "in-do" | "rpc";
  ring_full: boolean;
  events: number;
  appends: number;
  trims: number;
  seconds: number;
  events_per_second: number;
  /** Wall time per append: what a DO bills as duration while it appends. */
  ms_per_append: number;
  rows_written_per_1000_events?: number;
  /** Of which the trimming alarms' (deleted chunk rows). */
  trim_rows_written_per_1000_events?: number;
  rows_read_per_append?: number;
  set_alarm_per_append?: number;
}

const ROUND_BATCHES = 50;
const TRIM_EVERY = 10;

async function post(server: Server, path: string): Promise<any> {
  const res = await fetch(server.bridge.url + path, { method: "POST" });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Prepare then run `count` batches of `size`; returns the run's result and its wall seconds. */
async function round(server: Server, via: "in-do" | "rpc", asset: string, count: number, size: number, first: number, trimEvery: number, maxLines = 0) {
  const q = `asset=${asset}&batches=${count}&size=${size}&first=${first}`;
  await post(server, `/__bench/${via}/prepare?${q}`);
  const t0 = performance.now();
  const run = await post(server, `/__bench/${via}/run?asset=${asset}&trim_every=${trimEvery}&max_lines=${maxLines}`);
  return { run, seconds: (performance.now() - t0) / 1000 };
}

/** Prepare a round of `count` batches now; the returned function runs it (for profiling the run alone). */
export async function prepareRound(server: Server, asset: string, size: number, count: number, first: number): Promise<() => Promise<unknown>> {
  await post(server, `/__bench/in-do/prepare?asset=${asset}&batches=${count}&size=${size}&first=${first}`);
  return () => post(server, `/__bench/in-do/run?asset=${asset}&trim_every=${TRIM_EVERY}`);
}

function summarise(batch: number, via: "in-do" | "rpc", ringFull: boolean, runs: { run: any; seconds: number }[]): InDoRound {
  const events = runs.reduce((n, r) => n + r.run.events, 0);
  const appends = runs.reduce((n, r) => n + r.run.appends, 0);
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  const out: InDoRound = {
    batch, via, ring_full: ringFull, events, appends, trims: runs.reduce((n, r) => n + (r.run.trims ?? 0), 0), seconds,
    events_per_second: events / seconds, ms_per_append: (seconds * 1000) / appends,
  };
  if (via === "in-do") {
    const written = runs.reduce((n, r) => n + r.run.rows.rows_written, 0);
    out.rows_written_per_1000_events = (written / events) * 1000;
    out.trim_rows_written_per_1000_events = (runs.reduce((n, r) => n + r.run.trim_rows_written, 0) / events) * 1000;
    out.rows_read_per_append = runs.reduce((n, r) => n + r.run.rows.rows_read, 0) / appends;
    out.set_alarm_per_append = runs.reduce((n, r) => n + r.run.rows.set_alarm, 0) / appends;
  }
  return out;
}

/** `scale` shrinks the small-batch runs (quick mode). */
export async function runInDo(server: Server, rounds: number, ringLines: number, scale: number, log: (s: string) => void): Promise<InDoRound[]> {
  const out: InDoRound[] = [];
  let first = 0;
  const next = (n: number) => ((first += n), first - n);
  // Small batches on their own assets, with rings small enough to fill first, so they trim as in steady state.
  for (const [size, count, ring, trimEvery] of [[1, 2000, 500, 100], [100, 200, 5000, 10]] as const) {
    const asset = `in-do-b${size}`;
    await round(server, "in-do", asset, (ring / size) * 1.2, size, next(ring * 1.2), trimEvery, ring);
    const n = Math.max(trimEvery, Math.round(count * scale));
    const r = summarise(size, "in-do", true, [await round(server, "in-do", asset, n, size, next(n * size), trimEvery, ring)]);
    out.push(r);
    log(`in-do batch ${size} (ring ${ring}, trimming): ${r.events_per_second.toFixed(0)} ev/s, ${r.ms_per_append.toFixed(3)} ms per append, ` +
      `${r.rows_written_per_1000_events!.toFixed(1)} rows written per 1,000 events`);
  }
  // Fill the ring of the main asset, then time rounds with trimming.
  const asset = "in-do-b1000";
  for (let filled = 0; filled < ringLines; filled += ROUND_BATCHES * 1000) await round(server, "in-do", asset, ROUND_BATCHES, 1000, next(ROUND_BATCHES * 1000), TRIM_EVERY);
  const runs = [];
  for (let i = 0; i < rounds; i++) runs.push(await round(server, "in-do", asset, ROUND_BATCHES, 1000, next(ROUND_BATCHES * 1000), TRIM_EVERY));
  const main = summarise(1000, "in-do", true, runs);
  out.push(main);
  log(`in-do batch 1000, ring full, trimming: ${main.events_per_second.toFixed(0)} ev/s, ${main.ms_per_append.toFixed(2)} ms per append, ` +
    `${main.rows_written_per_1000_events!.toFixed(2)} rows written per 1,000 events`);
  const rpcRuns = [];
  for (let i = 0; i < Math.max(1, Math.floor(rounds / 2)); i++) rpcRuns.push(await round(server, "rpc", asset, ROUND_BATCHES, 1000, next(ROUND_BATCHES * 1000), 0));
  const rpc = summarise(1000, "rpc", true, rpcRuns);
  out.push(rpc);
  log(`rpc   batch 1000 (Worker -> DO, no HTTP): ${rpc.events_per_second.toFixed(0)} ev/s`);
  return out;
}
