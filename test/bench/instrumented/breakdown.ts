/**
 * Where an append's time goes, in workerd (bench only): the pure steps (../steps.ts) plus the
 * SQLite ones, each alone over the same events. Microseconds per event.
 */
import { RollupStore } from "../../../durable-objects/asset-log/rollups.ts";
import merkleWasm from "../../../shared/evidence/wasm/merkle-sha256.wasm";
import { BATCH, pureSteps, timePer, type StepData } from "../steps.ts";

export async function breakdown(sql: SqlStorage, batches: number): Promise<Record<string, number>> {
  const data: Partial<StepData> = {};
  const out = await pureSteps(batches, merkleWasm, data);
  const n = batches * BATCH;
  const { lines, events } = data as StepData;
  const chunks = Array.from({ length: batches }, (_, b) => lines.slice(b * BATCH, (b + 1) * BATCH).map((l) => l + "\n").join(""));
  sql.exec("CREATE TABLE IF NOT EXISTS _bench_chunks (first_seq INTEGER PRIMARY KEY, lines TEXT NOT NULL)");
  let seq = sql.exec<{ s: number | null }>("SELECT MAX(first_seq) AS s FROM _bench_chunks").one().s ?? 0;
  out["do: INSERT the chunk row (SQLite)"] = await timePer(n, () => { for (const c of chunks) sql.exec("INSERT INTO _bench_chunks (first_seq, lines) VALUES (?, ?)", (seq += BATCH), c); });
  sql.exec("DELETE FROM _bench_chunks");
  // An asset of its own: the schema is not migrated there, so the tables RollupStore reads are made here.
  sql.exec("CREATE TABLE IF NOT EXISTS rollups (minute INTEGER PRIMARY KEY, data TEXT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS chunks (first_seq INTEGER PRIMARY KEY, end_seq INTEGER NOT NULL, rts INTEGER NOT NULL, rollup TEXT)");
  const rollups = new RollupStore(sql);
  const rts = Date.now();
  let end = 0;
  // The delta goes into the chunk row (INSERT above); the minute's row is written once a minute.
  out["do: rollup delta (RollupStore.add)"] = await timePer(n, () => { for (const evs of events) rollups.add(rts, evs.map((e) => e.facts), new Map(), (end += BATCH)); });
  out["do: rollup row upsert, once a minute (RollupStore.fold)"] = await timePer(n, () => { rollups.fold(); });
  return out;
}
