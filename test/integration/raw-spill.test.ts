/** Raw spill: lines leaving the ring buffer are written to the store as gzip JSONL segments before they are trimmed. */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { assetObjectName } from "../../durable-objects/env.ts";
import { effectiveRing } from "../../shared/config.ts";
import { UPLOAD_PENDING_MAX_MS } from "../../shared/limits.ts";
import { gunzipText, post, tenantWithKey } from "../fixtures/bridge.ts";

afterEach(() => vi.useRealTimers());

async function send(key: string, asset: string, n: number) {
  const res = await post("/v1/logs", key, JSON.stringify({ n }), { "X-Asset-Id": asset });
  expect(res.status).toBe(200);
}

function stubOf(tenant: string, asset: string) {
  return env.ASSET_LOG.getByName(assetObjectName(tenant, asset));
}

describe("raw spill", () => {
  it("writes evicted lines as segments under raw/<tenant>/<asset>/ before trimming them", async () => {
    const key = await tenantWithKey("spill-on", { raw_spill: true, ring_buffer: { max_lines: 2 } });
    for (let n = 0; n < 5; n++) await send(key, "web", n);
    const stub = stubOf("spill-on", "web");
    const ref = { tenant: "spill-on", asset: "web", ring: { ...effectiveRing(env, undefined), max_lines: 2 } };
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const listed = await env.EVIDENCE.list({ prefix: "raw/spill-on/web/" });
    expect(listed.objects).toHaveLength(1);
    const seg = listed.objects[0]!.key;
    expect(seg).toMatch(/^raw\/spill-on\/web\/\d{4}\/\d{2}\/\d{2}\/raw-\d{8}-\d{6}-\d{8}-\d{6}-0-3\.jsonl\.gz$/);
    const lines = (await gunzipText(await (await env.EVIDENCE.get(seg))!.arrayBuffer())).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.seq, l.record.n])).toEqual([[0, 0], [1, 1], [2, 2]]);
    const stats = await stub.stats(ref);
    expect(stats).toMatchObject({ size: 2, oldest_seq: 3, stored_chunks: 2, raw_spill: { spilled_to: 3, segments: 1, lines: 3, dropped: 0 } });
    // Later evictions go to a new segment; nothing is written twice.
    await send(key, "web", 5);
    await runDurableObjectAlarm(stub);
    const keys = (await env.EVIDENCE.list({ prefix: "raw/spill-on/web/" })).objects.map((o) => o.key);
    expect(keys).toHaveLength(2);
    expect(keys.some((k) => k.endsWith("-3-4.jsonl.gz"))).toBe(true);
  });

  it("is off by default: nothing is written under raw/", async () => {
    const key = await tenantWithKey("spill-off", { ring_buffer: { max_lines: 1 } });
    for (let n = 0; n < 3; n++) await send(key, "web", n);
    await runDurableObjectAlarm(stubOf("spill-off", "web"));
    expect((await env.EVIDENCE.list({ prefix: "raw/spill-off/" })).objects).toEqual([]);
  });

  it("holds trimming back while the store fails, and lets go (counted) after the limit", async () => {
    const key = await tenantWithKey("spill-down", {
      raw_spill: true, ring_buffer: { max_lines: 1, max_seconds: 30 * 86_400 },
      evidence_store: {
        provider: "s3", endpoint: "https://s3.down.test", region: "auto", bucket: "raw-bucket", path_style: true,
        access_key_id_ref: "EVIDENCE_TEST_S3_KEY_ID", secret_access_key_ref: "EVIDENCE_TEST_S3_SECRET",
      },
    });
    for (let n = 0; n < 3; n++) await send(key, "web", n);
    const stub = stubOf("spill-down", "web");
    const ref = { tenant: "spill-down", asset: "web", ring: { max_lines: 1, max_seconds: 30 * 86_400 } };
    await runDurableObjectAlarm(stub);
    let stats = await stub.stats(ref);
    // The ring holds 1 line, but the 2 evicted ones stay stored until spilled.
    expect(stats).toMatchObject({ size: 1, stored_chunks: 3, raw_spill: { spilled_to: 0, failures: 1, last_error: expect.stringMatching(/^unavailable/) } });
    expect(JSON.stringify(stats)).not.toContain("down-store-secret-not-a-secret");
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + UPLOAD_PENDING_MAX_MS + 60_000);
    await runDurableObjectAlarm(stub); // gives up on the 2 lines
    await runDurableObjectAlarm(stub); // and trims them
    stats = await stub.stats(ref);
    expect(stats.raw_spill).toMatchObject({ spilled_to: 2, dropped: 2 });
    expect(stats.stored_chunks).toBe(1);
  });
});
