/** Idempotency-Key: the first final answer is replayed for 24 h; reuse with other content is 422. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { app } from "../../workers/app.ts";
import { INGEST_PATHS } from "../../workers/ingest-paths.ts";
import { createKey, expectProblem, gzip, post, storedLines, tenantWithKey } from "../fixtures/bridge.ts";

afterEach(() => vi.useRealTimers());

const body = (n: number) => [{ n, level: "info" }, { n: n + 1, asset: "other" }].map((r) => JSON.stringify(r)).join("\n");
const send = (key: string, text: string | Uint8Array, idem: string, extra: Record<string, string> = {}) =>
  post("/v1/logs?asset=web", key, text, { "Content-Type": "application/x-ndjson", "Idempotency-Key": idem, ...extra });

describe("Idempotency-Key", () => {
  it("replays the original status and body, byte for byte, with Idempotent-Replay: true, and stores nothing twice", async () => {
    const key = await tenantWithKey("idem-replay");
    const first = await send(key, body(1), "order-1");
    expect(first.status).toBe(200);
    expect(first.headers.get("idempotent-replay")).toBeNull();
    const firstText = await first.text();
    // The same content again, even gzipped this time: the same request.
    const again = await send(key, await gzip(body(1)), "order-1", { "Content-Encoding": "gzip" });
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replay")).toBe("true");
    expect(await again.text()).toBe(firstText);
    expect((await storedLines(key, "web")).length).toBe(1);
    expect((await storedLines(key, "other")).length).toBe(1);
  });

  it("refuses the same key with other content (422), and stores nothing", async () => {
    const key = await tenantWithKey("idem-conflict");
    expect((await send(key, body(1), "k")).status).toBe(200);
    const problem = await expectProblem(await send(key, body(7), "k"), 422);
    expect(problem.errors).toEqual([{ pointer: "/headers/idempotency-key", detail: "reused with a different body" }]);
    expect((await storedLines(key, "web")).map((l) => l.record.n)).toEqual([1]);
  });

  it("forgets a key after 24 h: the same key with new content is then a new request", async () => {
    const key = await tenantWithKey("idem-expiry");
    expect((await send(key, body(1), "day")).status).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 24 * 3_600_000 + 60_000);
    const later = await send(key, body(9), "day");
    expect(later.status).toBe(200);
    expect(later.headers.get("idempotent-replay")).toBeNull();
    // New content under the expired key is stored (seq 1), not matched against the old batch
    // (whose line has aged out of the 6 h ring by now).
    expect((await storedLines(key, "web")).map((l) => [l.seq, l.record.n])).toEqual([[1, 9]]);
  });

  it("is scoped to the sending credential: another key of the tenant with the same Idempotency-Key is its own request", async () => {
    const key = await tenantWithKey("idem-scope");
    const other = await createKey("idem-scope", ["ingest", "read", "evidence"]);
    expect((await send(key, body(1), "shared")).status).toBe(200);
    const res = await send(other, body(3), "shared");
    expect(res.status).toBe(200);
    expect(res.headers.get("idempotent-replay")).toBeNull();
    expect((await storedLines(key, "web")).map((l) => l.record.n)).toEqual([1, 3]);
  });

  it("does not record a 429: the retry after the quota window is processed", async () => {
    const key = await tenantWithKey("idem-429", { quotas: { events_per_minute: 2 } });
    expect((await send(key, body(1), "a")).status).toBe(200);
    expect((await send(key, body(5), "b")).status).toBe(429);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 61_000);
    const retry = await send(key, body(5), "b");
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replay")).toBeNull();
  });

  it("covers every mounted ingest route", () => {
    const posts = new Set(app.routes.filter((r) => r.method === "POST").map((r) => r.path));
    for (const p of INGEST_PATHS) expect(posts.has(p), p).toBe(true);
    for (const p of ["/v1/ingest/azure/eventhub", "/services/collector/event"]) expect(INGEST_PATHS as readonly string[]).toContain(p);
  });
});
