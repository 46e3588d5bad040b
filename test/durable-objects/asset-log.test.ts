/** AssetLog through its RPC stub: chunking, big windows (multipart), concurrency with trimming. */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { assetObjectName } from "../../durable-objects/env.ts";
import type { AssetLog } from "../../durable-objects/asset-log/asset-log.ts";
import { canonicalize } from "../../shared/evidence/jcs.ts";
import type { PreparedEvent } from "../../shared/events.ts";
import { CHUNK_MAX_BYTES, EVIDENCE_PART_BYTES, TRIM_INTERVAL_MS } from "../../shared/limits.ts";
import { gunzipText, sha256Hex } from "../fixtures/bridge.ts";

const ring = { max_lines: 200_000, max_seconds: 21_600 };

function events(n: number, make: (i: number) => Record<string, unknown>): PreparedEvent[] {
  return Array.from({ length: n }, (_, i) => ({ ts: Date.UTC(2026, 10, 24) + i, source: "http" as const, recordJcs: canonicalize(make(i)) }));
}

/** Base64 of random bytes: text that gzip cannot shrink much, to force multi-part bundles. */
function noise(bytes: number): string {
  const raw = crypto.getRandomValues(new Uint8Array(Math.min(bytes, 65_536)));
  let s = btoa(String.fromCharCode(...raw));
  while (s.length < bytes) s += s.slice(0, bytes - s.length).split("").reverse().join("");
  return s.slice(0, bytes);
}

describe("AssetLog", () => {
  it("splits large batches into chunk rows under CHUNK_MAX_BYTES and keeps seq gap-free", async () => {
    const ref = { tenant: "t1", asset: "chunky", ring };
    const stub = env.ASSET_LOG.getByName(assetObjectName(ref.tenant, ref.asset));
    const res = await stub.append(ref, events(300, (i) => ({ i, pad: "p".repeat(10_000) })));
    expect(res).toMatchObject({ accepted: 300, first_seq: 0, end_seq: 300 });
    await runInDurableObject(stub, (_o: AssetLog, state) => {
      const rows = state.storage.sql.exec<{ first_seq: number; end_seq: number; bytes: number }>("SELECT first_seq, end_seq, bytes FROM chunks ORDER BY first_seq").toArray();
      expect(rows.length).toBeGreaterThan(2);
      for (const r of rows) expect(r.bytes).toBeLessThanOrEqual(CHUNK_MAX_BYTES);
      rows.forEach((r, i) => expect(r.first_seq).toBe(i === 0 ? 0 : rows[i - 1]!.end_seq));
      expect(rows.at(-1)!.end_seq).toBe(300);
    });
    const sealed = await stub.seal(ref, 0);
    if (!sealed.ok || sealed.value.empty) throw new Error("expected a bundle");
    const text = await gunzipText(await (await env.EVIDENCE.get(sealed.value.bundle.records_key))!.arrayBuffer());
    const seqs = text.trim().split("\n").map((l) => JSON.parse(l).seq);
    expect(seqs).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(await sha256Hex(new TextEncoder().encode(text))).toBe(sealed.value.bundle.jsonl_sha256);
  });

  it("streams a window bigger than one part as a multipart upload with the same digest", async () => {
    const ref = { tenant: "t1", asset: "big", ring };
    const stub = env.ASSET_LOG.getByName(assetObjectName(ref.tenant, ref.asset));
    const perRecord = 200_000;
    const count = Math.ceil((EVIDENCE_PART_BYTES * 1.6) / perRecord);
    for (let i = 0; i < count; i += 10) {
      await stub.append(ref, events(Math.min(10, count - i), (j) => ({ i: i + j, noise: noise(perRecord) })));
    }
    const sealed = await stub.seal(ref, 0);
    if (!sealed.ok || sealed.value.empty) throw new Error("expected a bundle");
    const b = sealed.value.bundle;
    expect(b.gz_bytes).toBeGreaterThan(EVIDENCE_PART_BYTES);
    const obj = await env.EVIDENCE.get(b.records_key);
    const gz = new Uint8Array(await obj!.arrayBuffer());
    expect(gz.byteLength).toBe(b.gz_bytes);
    expect(await sha256Hex(gz)).toBe(b.gz_sha256);
    const text = await gunzipText(gz);
    expect(text.split("\n").length - 1).toBe(count);
    expect(await sha256Hex(new TextEncoder().encode(text))).toBe(b.jsonl_sha256);
  });

  it("seals only the part of a chunk inside the window", async () => {
    const ref = { tenant: "t1", asset: "partial", ring: { max_lines: 5, max_seconds: 21_600 } };
    const stub = env.ASSET_LOG.getByName(assetObjectName(ref.tenant, ref.asset));
    await stub.append(ref, events(8, (i) => ({ i })));
    const sealed = await stub.seal(ref, 0);
    if (!sealed.ok || sealed.value.empty) throw new Error("expected a bundle");
    expect([sealed.value.bundle.first_seq, sealed.value.bundle.end_seq]).toEqual([3, 8]);
    const text = await gunzipText(await (await env.EVIDENCE.get(sealed.value.bundle.records_key))!.arrayBuffer());
    expect(text.trim().split("\n").map((l) => JSON.parse(l).record.i)).toEqual([3, 4, 5, 6, 7]);
  });
});

describe("AssetLog reads", () => {
  it("leave no storage behind for an asset never written", async () => {
    const ref = { tenant: "t1", asset: "never-written", ring };
    const stub = env.ASSET_LOG.getByName(assetObjectName(ref.tenant, ref.asset));
    expect(await stub.seal(ref, 0)).toEqual({ ok: true, value: { empty: true } });
    expect(await stub.stats(ref)).toMatchObject({ size: 0, next_seq: 0 });
    await runInDurableObject(stub, (_o: AssetLog, state) => {
      expect(state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray()).toEqual([]);
    });
  });
});

describe("storage shape (DO SQLite bills per row)", () => {
  it("writes one row per batch of ~250 B events, not one per event", async () => {
    const line = (i: number) => ({ i, level: "info", host: "node-3", message: `GET /api/v1/items/${i} 200`, action: "ALLOW", latency_ms: 12 });
    const batched = { tenant: "t1", asset: "shape-batched", ring };
    const batchedStub = env.ASSET_LOG.getByName(assetObjectName(batched.tenant, batched.asset));
    // An append writes its chunk, which carries its rollup delta; the minute's rollup row is written
    // when an append opens the next minute (+1, should these appends straddle one). The first append
    // of an asset also records its identity, ring bounds, rules and housekeeping time (4 meta rows).
    expect((await batchedStub.append(batched, events(1000, line))).rows_written).toBe(5);
    expect([1, 2]).toContain((await batchedStub.append(batched, events(1000, line))).rows_written);

    const single = { tenant: "t1", asset: "shape-single", ring };
    const singleStub = env.ASSET_LOG.getByName(assetObjectName(single.tenant, single.asset));
    let rows = 0;
    for (let i = 0; i < 100; i++) rows += (await singleStub.append(single, events(1, line))).rows_written;
    expect([100 + 4, 100 + 4 + 1]).toContain(rows);

    const stats = await batchedStub.stats(batched);
    // Stored bytes per event stay close to the line size: the frontier adds at most 32 B x log2(n) per chunk.
    expect(stats.database_bytes / 2000).toBeLessThan(600);
  });
});

describe("sealing while appends keep arriving", () => {
  it("gives bundles that each verify and chain to the one before", async () => {
    const { verifyBundle } = await import("../../shared/evidence/verify.ts");
    const { parseSigningKeys } = await import("../../shared/evidence/signing-keys.ts");
    const keys = await parseSigningKeys(env.EVIDENCE_SIGNING_KEYS);
    if (!keys.ok) throw new Error(keys.error);
    const jwks = { keys: keys.value.publicKeys };
    const ref = { tenant: "t1", asset: "busy", ring };
    const stub = env.ASSET_LOG.getByName(assetObjectName(ref.tenant, ref.asset));
    const work: Promise<unknown>[] = [];
    const seals: Promise<Awaited<ReturnType<typeof stub.seal>>>[] = [];
    for (let round = 0; round < 5; round++) {
      work.push(stub.append(ref, events(50, (i) => ({ round, i }))));
      seals.push(stub.seal(ref, 0));
      work.push(stub.append(ref, events(30, (i) => ({ round, late: i }))));
    }
    await Promise.all(work);
    // A seal that finds the same range as the one before it in the same second returns that bundle.
    const bundles = [];
    for (const s of await Promise.all(seals)) {
      if (!s.ok || s.value.empty) throw new Error("expected a bundle");
      if (!s.value.reused) bundles.push(s.value.bundle);
    }
    expect(bundles.length).toBeGreaterThan(0);
    let previous: string | undefined;
    for (const b of bundles) {
      const records = new Uint8Array(await (await env.EVIDENCE.get(b.records_key))!.arrayBuffer());
      const statement = await (await env.EVIDENCE.get(b.statement_key))!.text();
      const report = await verifyBundle({ records, statement }, { jwks, ...(previous ? { previous: { statement: previous } } : {}) });
      expect(report, report.message).toMatchObject({ ok: true });
      previous = statement;
    }
    expect(bundles.at(-1)!.end_seq).toBeLessThanOrEqual(400);
  });
});

describe("previous bundle", () => {
  it("is the last one sealed, even when several are sealed within one millisecond", async () => {
    // workerd's clock only moves on I/O, so back-to-back seals can share created_at.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-24T08:00:00.000Z"));
    try {
      const ref = { tenant: "t1", asset: "same-ms", ring };
      const stub = env.ASSET_LOG.getByName(assetObjectName(ref.tenant, ref.asset));
      const ids: string[] = [];
      const previous: (string | null)[] = [];
      for (let i = 0; i < 6; i++) {
        await stub.append(ref, events(1, () => ({ i })));
        const sealed = await stub.seal(ref, 0);
        if (!sealed.ok || sealed.value.empty) throw new Error("expected a bundle");
        ids.push(sealed.value.bundle.id);
        const st = await (await env.EVIDENCE.get(sealed.value.bundle.statement_key))!.json<{ payload: string }>();
        previous.push(JSON.parse(atob(st.payload)).predicate.previous?.bundle_id ?? null);
      }
      expect(previous).toEqual([null, ...ids.slice(0, -1)]);
      const listed = await stub.bundles(ref, 10);
      expect(listed.bundles.map((b) => b.id)).toEqual([...ids].reverse());
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("ring buffer trimming", () => {
  it("keeps storage near the count bound while ingest continues (alarm within TRIM_INTERVAL_MS)", async () => {
    // A day ahead of the real clock: workerd keeps alarms set in the (real) past at "now".
    const t0 = Math.ceil(Date.now() / 1000) * 1000 + 86_400_000;
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(t0);
    try {
      const ref = { tenant: "t1", asset: "trim-count", ring: { max_lines: 10, max_seconds: 21_600 } };
      const stub = env.ASSET_LOG.getByName(assetObjectName(ref.tenant, ref.asset));
      for (let i = 0; i < 50; i++) await stub.append(ref, events(1, () => ({ i })));
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      expect((await stub.stats(ref)).stored_chunks).toBe(10);
      // An hour later, 200 more: the alarm must come within 30 s of them, not 6 h after the oldest line.
      vi.setSystemTime(t0 + 3_600_000);
      for (let i = 0; i < 200; i++) await stub.append(ref, events(1, () => ({ i })));
      const alarmAt = await runInDurableObject(stub, (_o: AssetLog, state) => state.storage.getAlarm());
      expect(alarmAt).not.toBeNull();
      expect(alarmAt! - (t0 + 3_600_000)).toBeLessThanOrEqual(TRIM_INTERVAL_MS);
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      expect(await stub.stats(ref)).toMatchObject({ size: 10, stored_chunks: 10, evicted_total: 240 });
    } finally {
      vi.useRealTimers();
    }
  });

  it("finds the age boundary by binary search, agreeing with a scan of every chunk", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = Date.parse("2026-11-24T08:00:00Z");
    try {
      const ref = { tenant: "t1", asset: "age-search", ring: { max_lines: 200_000, max_seconds: 1000 } };
      const stub = env.ASSET_LOG.getByName(assetObjectName(ref.tenant, ref.asset));
      // 300 chunks, received 10 s apart, some batches bigger than others.
      for (let i = 0; i < 300; i++) {
        vi.setSystemTime(t0 + i * 10_000);
        await stub.append(ref, events(1 + (i % 4), () => ({ i })));
      }
      for (const now of [t0 + 1_000_000, t0 + 2_000_000, t0 + 2_995_000, t0 + 4_000_000, t0 + 500]) {
        vi.setSystemTime(now);
        const stats = await stub.stats(ref);
        const expected = await runInDurableObject(stub, (_o: AssetLog, state) => {
          const row = state.storage.sql.exec<{ first_seq: number }>("SELECT first_seq FROM chunks WHERE rts >= ? ORDER BY first_seq LIMIT 1", now - 1_000_000).toArray()[0];
          return row ? row.first_seq : stats.next_seq;
        });
        expect(stats.oldest_seq).toBe(expected);
      }
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("redelivery de-duplication", () => {
  it("stores a batch once per dedupe key, while its first chunk is in the buffer", async () => {
    const ref = { tenant: "t1", asset: "dedupe", ring: { max_lines: 3, max_seconds: 21_600 } };
    const stub = env.ASSET_LOG.getByName(assetObjectName(ref.tenant, ref.asset));
    const first = await stub.append(ref, events(2, (i) => ({ i })), { dedupe_key: "req-1" });
    expect(first).toMatchObject({ accepted: 2, first_seq: 0, end_seq: 2 });
    expect(first.duplicate).toBeUndefined();
    const again = await stub.append(ref, events(2, (i) => ({ i })), { dedupe_key: "req-1" });
    expect(again).toMatchObject({ accepted: 2, first_seq: 0, end_seq: 2, duplicate: true, rows_written: 0 });
    expect((await stub.stats(ref)).next_seq).toBe(2);
    // A batch with a key writes its chunk and one index row; one without, no index row (+1 for the
    // minute's rollup row should the append open a new minute).
    expect([2, 3]).toContain((await stub.append(ref, events(1, () => ({})), { dedupe_key: "req-2" })).rows_written);
    expect([1, 2]).toContain((await stub.append(ref, events(1, () => ({})))).rows_written);
    // Once req-1's chunk is trimmed (max_lines 3), its key is forgotten with it.
    await stub.append(ref, events(3, () => ({})));
    await runDurableObjectAlarm(stub);
    expect((await stub.append(ref, events(2, (i) => ({ i })), { dedupe_key: "req-1" })).duplicate).toBeUndefined();
  });
});
