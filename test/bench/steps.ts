/**
 * The pure steps of ingest and append, each timed alone over the same events: run in workerd
 * (instrumented/breakdown.ts) and in plain Node by the bench, so the table shows both, and how
 * much of an append's time is the local runtime rather than the code. The clock is read after
 * a timer (workerd advances it on I/O only). Microseconds per event.
 */
import { createHash } from "node:crypto";
import { compileRules } from "../../shared/aggregates/event-facts.ts";
import { CompactRange, nobleHasher } from "../../shared/evidence/merkle.ts";
import { nodeHasher } from "../../shared/evidence/node-hasher.ts";
import { MerkleAppender } from "../../shared/evidence/merkle-wasm.ts";
import { storedLine, storedLines, type PreparedEvent } from "../../shared/events.ts";
import { CHUNK_MAX_BYTES } from "../../shared/limits.ts";
import { packEvents, unpackEvents } from "../../shared/packed-events.ts";
import { decodeHttpLogs } from "../../workers/connectors/http-logs.ts";
import { prepare } from "../../workers/fanout.ts";
import { benchRecord } from "./record.ts";

export const BATCH = 1000;
const tick = () => new Promise((r) => setTimeout(r, 0));
const enc = new TextEncoder();
const LEAF = new Uint8Array([0]);

export async function timePer(n: number, fn: () => void): Promise<number> {
  await tick();
  const t0 = performance.now();
  fn();
  await tick();
  return ((performance.now() - t0) * 1000) / n;
}

export interface StepData {
  events: PreparedEvent[][];
  lines: string[];
}

/**
 * Time the pure steps over `batches` x 1,000 events; `data` receives what later steps need.
 * `merkleWasm` is merkle-sha256.wasm compiled (workerd imports it; Node compiles the file).
 */
export async function pureSteps(batches: number, merkleWasm: WebAssembly.Module, data: Partial<StepData> = {}): Promise<Record<string, number>> {
  const n = batches * BATCH;
  const ndjson: string[] = [];
  for (let b = 0; b < batches; b++) {
    const lines: string[] = [];
    for (let i = 0; i < BATCH; i++) lines.push(JSON.stringify(benchRecord(b * BATCH + i, Date.now())));
    ndjson.push(lines.join("\n"));
  }
  const out: Record<string, number> = {};
  const rules = compileRules(undefined);
  const ctx = { asset: "breakdown", receivedAt: Date.now() };
  const decoded = ndjson.map((t) => decodeHttpLogs(t, "application/x-ndjson", ctx));
  let events: PreparedEvent[][] = [];
  out["worker: decode NDJSON (decodeHttpLogs)"] = await timePer(n, () => { for (const t of ndjson) decodeHttpLogs(t, "application/x-ndjson", ctx); });
  out["worker: canonicalise + facts (prepare)"] = await timePer(n, () => { events = decoded.map((d) => prepare(d.ok ? d.value : [], rules).get("breakdown")!.events); });
  out["rpc: structured clone of PreparedEvent[] (the old append argument)"] = await timePer(n, () => { for (const evs of events) structuredClone(evs); });
  out["rpc: packEvents + structured clone + unpackEvents (the append argument now)"] = await timePer(n, () => { for (const evs of events) unpackEvents(structuredClone(packEvents(evs))); });
  const rts = Date.now();
  let lines: string[] = [];
  out["do: stored lines of a batch (storedLines)"] = await timePer(n, () => { lines = events.flatMap((evs, b) => storedLines("breakdown", b * BATCH, rts, evs)); });
  const appender = new MerkleAppender(merkleWasm);
  out["do: Merkle leaves + nodes, one WASM call per chunk (MerkleAppender, UTF-8 encode included)"] = await timePer(n, () => {
    const r = new CompactRange(0, [], nodeHasher);
    for (let b = 0; b < batches; b++) appender.appendLines(r, lines.slice(b * BATCH, (b + 1) * BATCH), CHUNK_MAX_BYTES, () => {});
  });
  out["old: stored line per event (storedLine)"] = await timePer(n, () => { let s = 0; lines = events.flat().map((ev) => storedLine("breakdown", s++, rts, ev)); });
  let bytes: Uint8Array[] = [];
  out["old: UTF-8 encode per line (TextEncoder)"] = await timePer(n, () => { bytes = lines.map((l) => enc.encode(l)); });
  out["old: leaf hash (nodeHasher.leaf, node:crypto)"] = await timePer(n, () => { for (const b of bytes) nodeHasher.leaf(b); });
  out["old: frontier append = leaf + node hashes (CompactRange, node:crypto)"] = await timePer(n, () => { const r = new CompactRange(0, [], nodeHasher); for (const b of bytes) r.append(b); });
  out["do: join lines into chunk text"] = await timePer(n, () => { for (let b = 0; b < batches; b++) lines.slice(b * BATCH, (b + 1) * BATCH).map((l) => l + "\n").join(""); });
  out["alt: leaf hash on the string, no TextEncoder (node:crypto)"] = await timePer(n, () => { for (const l of lines) createHash("sha256").update(LEAF).update(l, "utf8").digest(); });
  out["alt: leaf hash (@noble/hashes, pure JS)"] = await timePer(n, () => { for (const b of bytes) nobleHasher.leaf(b); });
  out["alt: one new Date().toISOString() per line"] = await timePer(n, () => { for (let i = 0; i < n; i++) new Date(rts + i).toISOString(); });
  data.events = events;
  data.lines = lines;
  return out;
}
