/**
 * Overload: a flood over an asset's rate or a tenant's quota, and an asset object the runtime
 * reports as overloaded, are answered at once with 429/503 and Retry-After (or 207 naming the
 * assets that must be retried), never by hanging; what was acknowledged is stored exactly once,
 * what was refused is not stored, and a retry with the same Idempotency-Key fills only the gap.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { createKey, createTenant, env, getWithKey, gunzipText, post } from "../fixtures/bridge.ts";

afterEach(() => vi.restoreAllMocks());

async function storedTags(key: string, asset: string): Promise<string[]> {
  const body = (await (await getWithKey(`/v1/assets/${asset}/evidence?since=0`, key)).json()) as { line_count?: number; upload?: { key: string } };
  if (body.line_count === 0 || !body.upload) return [];
  const text = await gunzipText(await (await env.EVIDENCE.get(body.upload.key))!.arrayBuffer());
  return text.trim().split("\n").map((l) => JSON.parse(l).record.tag as string);
}

const batch = (tag: string, n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ tag: `${tag}-${i}` })).join("\n");

/** `clients` concurrent requests of `n` events each; what each answered and how long it took. */
async function flood(key: string, asset: string, clients: number, n: number) {
  return Promise.all(Array.from({ length: clients }, async (_, c) => {
    const t0 = Date.now();
    const res = await post(`/v1/logs?asset=${asset}`, key, batch(`${asset}-c${c}`, n), { "Content-Type": "application/x-ndjson", "Idempotency-Key": `flood-${asset}-${c}` });
    const ms = Date.now() - t0;
    await res.arrayBuffer();
    return { c, status: res.status, retryAfter: res.headers.get("retry-after"), ms };
  }));
}

function expectShedCleanly(answers: Awaited<ReturnType<typeof flood>>, maxRetryAfter: number): void {
  for (const a of answers) {
    expect([200, 429], `client ${a.c}`).toContain(a.status);
    if (a.status === 429) expect(Number(a.retryAfter), `client ${a.c}`).toBeGreaterThanOrEqual(1);
    if (a.status === 429) expect(Number(a.retryAfter), `client ${a.c}`).toBeLessThanOrEqual(maxRetryAfter);
    // Promptly: a refusal is not a queue. Generous for a shared 2-core machine.
    expect(a.ms, `client ${a.c}`).toBeLessThan(10_000);
  }
  expect(answers.some((a) => a.status === 200)).toBe(true);
  expect(answers.some((a) => a.status === 429)).toBe(true);
}

describe("overload", () => {
  it("a flood over an asset's rate: 200 or 429 with Retry-After, and exactly the acknowledged events stored", async () => {
    await createTenant("ovl-asset", { quotas: { asset_events_per_second: 20 } });
    const key = await createKey("ovl-asset");
    const answers = await flood(key, "hot", 24, 50);
    expectShedCleanly(answers, 60);
    const acked = answers.filter((a) => a.status === 200).flatMap((a) => batch(`hot-c${a.c}`, 50).split("\n").map((l) => JSON.parse(l).tag as string));
    const stored = await storedTags(key, "hot");
    expect(stored.length).toBe(new Set(stored).size);
    expect(new Set(stored)).toEqual(new Set(acked));
  });

  it("a flood over a tenant's event quota: the same, across assets", async () => {
    await createTenant("ovl-tenant", { quotas: { events_per_minute: 400 } });
    const key = await createKey("ovl-tenant");
    const answers = (await Promise.all(["x", "y"].map((asset) => flood(key, asset, 12, 40)))).flat();
    expectShedCleanly(answers, 60);
    const stored = [...(await storedTags(key, "x")), ...(await storedTags(key, "y"))];
    expect(stored.length).toBeLessThanOrEqual(400);
    expect(stored.length).toBe(answers.filter((a) => a.status === 200).length * 40);
    expect(new Set(stored).size).toBe(stored.length);
  });

  it("an object reported overloaded: 503 or 207 with Retry-After at once; the retry fills only the gap", async () => {
    await createTenant("ovl-do");
    const key = await createKey("ovl-do");
    const real = env.ASSET_LOG.getByName.bind(env.ASSET_LOG);
    const overloaded = new Set(["busy"]);
    vi.spyOn(env.ASSET_LOG, "getByName").mockImplementation((name: string) => {
      const stub = real(name);
      if (![...overloaded].some((a) => name.endsWith(`\u0000${a}`))) return stub;
      // What the runtime throws when an object's queue is too deep.
      return new Proxy(stub, {
        get: (t, p) => (p === "append" ? () => Promise.reject(Object.assign(new Error("Durable Object is overloaded. Too many requests queued."), { overloaded: true, retryable: false })) : Reflect.get(t, p)),
      });
    });
    const body = JSON.stringify([{ asset: "busy", tag: "b1" }, { asset: "calm", tag: "c1" }, { asset: "busy", tag: "b2" }]);
    const headers = { "Idempotency-Key": "ovl-retry-1" };

    let t0 = Date.now();
    const only = await post("/v1/logs?asset=busy", key, JSON.stringify({ tag: "alone" }));
    expect(only.status).toBe(503);
    expect(Number(only.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const partial = await post("/v1/logs", key, body, headers);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(partial.status).toBe(207);
    expect(Number(partial.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await partial.json()).toMatchObject({ ok: false, accepted: 1, assets: { busy: 0, calm: 1 }, errors: [{ asset: "busy", status: 503 }] });
    // Sources whose clients read any 2xx as done get 503 for a partial store instead of 207.
    const push = await post("/v1/ingest/gcp/pubsub", key, JSON.stringify({ message: { data: btoa(body), messageId: "ovl-m1" }, subscription: "projects/p/subscriptions/s" }));
    expect(push.status).toBe(503);
    expect(push.headers.get("retry-after")).toBeTruthy();

    // The object recovers; the clients retry exactly as they were told.
    overloaded.clear();
    t0 = Date.now();
    const again = await post("/v1/logs", key, body, headers);
    expect(again.status, await again.clone().text()).toBe(200);
    expect((await post("/v1/ingest/gcp/pubsub", key, JSON.stringify({ message: { data: btoa(body), messageId: "ovl-m1" }, subscription: "projects/p/subscriptions/s" }))).status).toBe(200);
    expect(await storedTags(key, "calm")).toEqual(["c1", "c1"]);
    expect(await storedTags(key, "busy")).toEqual(["b1", "b2", "b1", "b2"]);
    // A second retry of either stores nothing more.
    expect((await post("/v1/logs", key, body, headers)).status).toBe(200);
    expect((await storedTags(key, "calm")).length + (await storedTags(key, "busy")).length).toBe(6);
  });
});
