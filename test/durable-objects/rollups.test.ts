/**
 * Rollups folded lazily (rollups.ts): an append stores its delta in its chunk row, the minute's
 * row is written once a minute or before trimming. Summaries stay exact throughout, across a
 * restart (deltas refolded from the chunks) and across trimming.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { assetObjectName } from "../../durable-objects/env.ts";
import type { AssetLog } from "../../durable-objects/asset-log/asset-log.ts";
import { canonicalize } from "../../shared/evidence/jcs.ts";
import type { PreparedEvent } from "../../shared/events.ts";
import type { Level } from "../../shared/levels.ts";

const LEVELS: (Level | undefined)[] = ["ERROR", "INFO", undefined, "WARN"];

function events(n: number, from: number): PreparedEvent[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const level = LEVELS[i % LEVELS.length];
    return {
      ts: Date.now(), source: "http" as const, recordJcs: canonicalize({ i }),
      facts: { ...(level ? { level } : {}), ...(i % 3 === 0 ? { latency_ms: i } : {}), ...(i % 5 === 0 ? { counts: ["waf-blocks"] } : {}) },
    };
  });
}

/** What the summary must say for events 0..n-1 of `events`. */
function expected(n: number) {
  const levels: Record<string, number> = {};
  let blocks = 0;
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const l = LEVELS[i % LEVELS.length] ?? "NONE";
    levels[l] = (levels[l] ?? 0) + 1;
    if (i % 5 === 0) blocks++;
    if (i % 3 === 0) latencies.push(i);
  }
  latencies.sort((a, b) => a - b);
  return { events: n, levels, counts: { "waf-blocks": blocks }, p95: latencies[Math.ceil(0.95 * latencies.length) - 1] ?? null };
}

async function summary(ref: { tenant: string; asset: string; ring: { max_lines: number; max_seconds: number } }) {
  const stub = env.ASSET_LOG.getByName(assetObjectName(ref.tenant, ref.asset));
  const s = await stub.summary(ref, { since: Date.now() - 3_600_000, until: Date.now() + 60_000 });
  return { events: s.events, levels: s.levels, counts: s.counts, p95: s.ops_summary.latency_ms_p95 };
}

const storedRollupRows = (stub: DurableObjectStub<AssetLog>) =>
  runInDurableObject(stub, (_o: AssetLog, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM rollups").one().n);

describe("rollups folded lazily", () => {
  it("summaries are exact before any row is written, after a restart, and after trimming folds them", async () => {
    const ref = { tenant: "t1", asset: "lazy-rollups", ring: { max_lines: 250, max_seconds: 21_600 } };
    const stub = env.ASSET_LOG.getByName(assetObjectName(ref.tenant, ref.asset));
    let n = 0;
    for (const size of [1, 7, 100, 1, 40]) {
      await stub.append(ref, events(size, n));
      n += size;
    }
    expect(await summary(ref)).toEqual(expected(n));
    // Within one minute, no rollup row yet (a minute boundary crossed mid-test writes one).
    expect(await storedRollupRows(stub)).toBeLessThanOrEqual(1);

    // A new instance refolds the deltas its chunks carry.
    await evictDurableObject(stub);
    expect(await summary(ref)).toEqual(expected(n));
    for (const size of [3, 200]) {
      await stub.append(ref, events(size, n));
      n += size;
    }
    expect(await summary(ref)).toEqual(expected(n));

    // Trimming (max_lines 250) deletes chunks only after folding their deltas into rows.
    await runDurableObjectAlarm(stub);
    expect(await storedRollupRows(stub)).toBeGreaterThanOrEqual(1);
    const stored = await runInDurableObject(stub, (_o: AssetLog, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM chunks").one().n);
    expect(stored).toBeLessThan(7);
    expect(await summary(ref)).toEqual(expected(n));
    await evictDurableObject(stub);
    expect(await summary(ref)).toEqual(expected(n));
    await stub.append(ref, events(5, n));
    n += 5;
    await evictDurableObject(stub);
    expect(await summary(ref)).toEqual(expected(n));
  });

  it("a new instance whose first act is the trim alarm folds the deltas before deleting their chunks", async () => {
    // Found in review: fold() on an instance that had not loaded the rollups wrote nothing, and the trim lost the counts.
    const ref = { tenant: "t1", asset: "lazy-evict-trim", ring: { max_lines: 100, max_seconds: 21_600 } };
    const stub = env.ASSET_LOG.getByName(assetObjectName(ref.tenant, ref.asset));
    for (let i = 0; i < 5; i++) await stub.append(ref, events(50, 50 * i));
    expect(await summary(ref)).toEqual(expected(250));
    await evictDurableObject(stub);
    await runDurableObjectAlarm(stub);
    const chunks = await runInDurableObject(stub, (_o: AssetLog, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM chunks").one().n);
    expect(chunks).toBeLessThan(5);
    expect(await summary(ref)).toEqual(expected(250));
    await evictDurableObject(stub);
    expect(await summary(ref)).toEqual(expected(250));
  });

  it("a rolled-back append leaves the summary as it was", async () => {
    const ref = { tenant: "t1", asset: "lazy-rollback", ring: { max_lines: 1000, max_seconds: 21_600 } };
    const stub = env.ASSET_LOG.getByName(assetObjectName(ref.tenant, ref.asset));
    await stub.append(ref, events(10, 0));
    // A line with a raw newline cannot be hashed as one leaf: the append throws inside its transaction.
    const bad = events(5, 10);
    bad[2] = { ...bad[2]!, recordJcs: '{"a":"x\ny"}' };
    await runInDurableObject(stub, async (o: AssetLog) => {
      await expect(o.append(ref, bad)).rejects.toThrow(/newline/);
    });
    expect(await summary(ref)).toEqual(expected(10));
    await stub.append(ref, events(5, 10));
    expect(await summary(ref)).toEqual(expected(15));
    await evictDurableObject(stub);
    expect(await summary(ref)).toEqual(expected(15));
  });
});
