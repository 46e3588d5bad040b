/** The Event Hub forwarder's logic: chunking, idempotency keys, retries, permanent refusals. */
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { chunk, forwardBatch } from "../src/forward.ts";

type Sent = { url: string; headers: Record<string, string>; body: unknown[] };

function fakeBridge(statuses: (number | "network")[]) {
  const sent: Sent[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    sent.push({ url, headers: init.headers as Record<string, string>, body: JSON.parse(gunzipSync(init.body as Uint8Array).toString("utf8")) });
    const s = statuses.shift() ?? 200;
    if (s === "network") throw new TypeError("fetch failed");
    return new Response("{}", { status: s });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, sent };
}

const records = (n: number) => Array.from({ length: n }, (_, i) => ({ records: [{ time: "2026-01-01T00:00:00Z", resourceId: "/x/PROD-WAF", properties: { i } }] }));
const noSleep = async () => undefined;

describe("Event Hub forwarder", () => {
  it("posts gzip JSON arrays with a partition/offset idempotency key", async () => {
    const bridge = fakeBridge([]);
    const res = await forwardBatch(records(3), { source: "ns/hub", partitionId: "2", offsets: ["100", "101", "102"] }, { url: "https://bridge.test", key: "tb_k", fetch: bridge.fetch, sleep: noSleep });
    expect(res).toEqual({ sent: 3, refused: 0, requests: 1 });
    expect(bridge.sent[0]!.url).toBe("https://bridge.test/v1/ingest/azure/eventhub");
    expect(bridge.sent[0]!.headers).toMatchObject({ Authorization: "Bearer tb_k", "Content-Encoding": "gzip", "Idempotency-Key": "eh:ns/hub:2:100-102" });
    expect(bridge.sent[0]!.body).toEqual(records(3));
  });

  it("parses string messages, and splits batches over the size limit", async () => {
    const msgs = [JSON.stringify(records(1)[0]), "not json", ...records(2)];
    expect(chunk(msgs, 120).length).toBeGreaterThan(1);
    const bridge = fakeBridge([]);
    await forwardBatch(msgs, { partitionId: "0", offsets: [1, 2, 3, 4] }, { url: "https://b", key: "k", fetch: bridge.fetch, sleep: noSleep, maxBodyBytes: 120 });
    expect(bridge.sent.flatMap((s) => s.body)).toEqual([records(1)[0], { records: [{ message: "not json" }] }, ...records(2)]);
    expect(new Set(bridge.sent.map((s) => s.headers["Idempotency-Key"])).size).toBe(bridge.sent.length);
  });

  it("retries network errors, 429 and 5xx with the same key, with capped backoff, until delivered", async () => {
    const bridge = fakeBridge(["network", 429, 503, 503, 503, 503, 503, 503, 503, 200]);
    const waits: number[] = [];
    const res = await forwardBatch(records(1), {}, { url: "https://b", key: "k", fetch: bridge.fetch, sleep: async (ms) => void waits.push(ms) });
    expect(res.requests).toBe(10);
    expect(Math.max(...waits)).toBeLessThanOrEqual(60_000);
  });

  it("retries a few times and succeeds with the same key", async () => {
    const bridge = fakeBridge(["network", 429, 503, 200]);
    const res = await forwardBatch(records(1), {}, { url: "https://b", key: "k", fetch: bridge.fetch, sleep: noSleep });
    expect(res.requests).toBe(4);
    expect(new Set(bridge.sent.map((s) => s.headers["Idempotency-Key"])).size).toBe(1);
  });

  it("skips and reports a permanent refusal, and gives up only after an explicit maxAttempts", async () => {
    const refused: number[] = [];
    const r = await forwardBatch(records(2), {}, { url: "https://b", key: "k", fetch: fakeBridge([422]).fetch, sleep: noSleep, onRefused: (i) => void refused.push(i.status) });
    expect(r).toMatchObject({ sent: 0, refused: 2, requests: 1 });
    expect(refused).toEqual([422]);
    const down = fakeBridge([503, 503, 503]);
    await expect(forwardBatch(records(1), {}, { url: "https://b", key: "k", fetch: down.fetch, sleep: noSleep, maxAttempts: 3 })).rejects.toThrow(/after 3 attempts/);
    expect(down.sent).toHaveLength(3);
  });
});
