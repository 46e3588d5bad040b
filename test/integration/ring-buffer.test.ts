/** Ring buffer bounds, as a user sees them in evidence, and lazy trimming inside the DO. */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { assetObjectName } from "../../durable-objects/env.ts";
import type { AssetLog } from "../../durable-objects/asset-log/asset-log.ts";
import { env, getWithKey, gunzipText, post, tenantWithKey } from "../fixtures/bridge.ts";

async function evidenceLines(key: string, asset: string, since = 0): Promise<any[]> {
  const res = await getWithKey(`/v1/assets/${asset}/evidence?since=${since}`, key);
  expect(res.status).toBe(200);
  const body = (await res.json()) as any;
  if (body.line_count === 0) return [];
  const text = await gunzipText(await (await env.EVIDENCE.get(body.upload.key))!.arrayBuffer());
  return text.trim().split("\n").map((l) => JSON.parse(l));
}

const summary = (n: number) => JSON.stringify({ alerts: [{ rule: "r", count: n }], latency_ms_p95: n });

afterEach(() => {
  vi.useRealTimers();
});

describe("ring buffer", () => {
  it("max_lines 3 with 4 posts keeps the last 3", async () => {
    const key = await tenantWithKey("ring-count", { ring_buffer: { max_lines: 3 } });
    for (let n = 1; n <= 4; n++) expect((await post("/v1/telemetry?asset=a", key, summary(n))).status).toBe(200);
    const lines = await evidenceLines(key, "a");
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3]);
    expect(lines.map((l) => l.record.alerts[0].count)).toEqual([2, 3, 4]);
  });

  it("never puts an event older than max_seconds into evidence (controlled clock)", async () => {
    const key = await tenantWithKey("ring-age", { ring_buffer: { max_seconds: 60 } });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-24T08:00:00Z"));
    await post("/v1/telemetry?asset=a", key, summary(1));
    vi.setSystemTime(new Date("2026-11-24T08:00:30Z"));
    await post("/v1/telemetry?asset=a", key, summary(2));
    // 61 s after the first event: it has aged out, the second (31 s old) has not.
    vi.setSystemTime(new Date("2026-11-24T08:01:01Z"));
    let lines = await evidenceLines(key, "a");
    expect(lines.map((l) => l.record.alerts[0].count)).toEqual([2]);
    expect(lines[0].rts).toBe("2026-11-24T08:00:30.000Z");
    // Both aged out: nothing to seal, whatever `since` asks for.
    vi.setSystemTime(new Date("2026-11-24T08:02:00Z"));
    lines = await evidenceLines(key, "a");
    expect(lines).toEqual([]);
  });

  it("since selects by receive time within the buffer", async () => {
    const key = await tenantWithKey("ring-since");
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-24T08:00:00Z"));
    await post("/v1/telemetry?asset=a", key, summary(1));
    vi.setSystemTime(new Date("2026-11-24T09:00:00Z"));
    await post("/v1/telemetry?asset=a", key, summary(2));
    vi.setSystemTime(new Date("2026-11-24T09:00:10Z"));
    expect((await evidenceLines(key, "a", 60)).map((l) => l.seq)).toEqual([1]);
    expect((await evidenceLines(key, "a", 0)).map((l) => l.seq)).toEqual([0, 1]);
  });

  it("counts evictions, trims storage lazily by alarm, and keeps its state across eviction", async () => {
    const key = await tenantWithKey("ring-trim", { ring_buffer: { max_lines: 2 } });
    for (let n = 1; n <= 5; n++) await post("/v1/telemetry?asset=a", key, summary(n));
    const stub = env.ASSET_LOG.getByName(assetObjectName("ring-trim", "a"));
    const ref = { tenant: "ring-trim", asset: "a", ring: { max_lines: 2, max_seconds: 21_600 } };
    let stats = await stub.stats(ref);
    expect(stats).toMatchObject({ size: 2, oldest_seq: 3, next_seq: 5, evicted_total: 3, stored_chunks: 5 });

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    stats = await stub.stats(ref);
    expect(stats).toMatchObject({ size: 2, oldest_seq: 3, evicted_total: 3, stored_chunks: 2 });

    await evictDurableObject(stub);
    await post("/v1/telemetry?asset=a", key, summary(6));
    stats = await stub.stats(ref);
    expect(stats).toMatchObject({ size: 2, oldest_seq: 4, next_seq: 6, evicted_total: 4 });
    expect((await evidenceLines(key, "a")).map((l) => l.seq)).toEqual([4, 5]);
    // The newest chunk always survives trimming, so seq continues after any restart.
    await runInDurableObject(stub, (_obj: AssetLog, state) => {
      const rows = state.storage.sql.exec<{ first_seq: number }>("SELECT first_seq FROM chunks ORDER BY first_seq").toArray();
      expect(rows.map((r) => r.first_seq)).toEqual([3, 4, 5]);
    });
  });
});
