/** Quotas: over the limit -> 429 with Retry-After and nothing stored; under it -> accepted and kept. */
import { describe, expect, it } from "vitest";
import { admin, createKey, createTenant, expectProblem, getWithKey, gunzipText, post, env } from "../fixtures/bridge.ts";

const ndjson = (n: number, tag: string) => Array.from({ length: n }, (_, i) => JSON.stringify({ tag, i })).join("\n");
const send = (key: string, body: string, asset = "q") => post(`/v1/logs?asset=${asset}`, key, body, { "Content-Type": "application/x-ndjson" });

async function storedTags(key: string, asset = "q"): Promise<string[]> {
  const body = (await (await getWithKey(`/v1/assets/${asset}/evidence?since=0`, key)).json()) as any;
  if (body.line_count === 0) return [];
  const text = await gunzipText(await (await env.EVIDENCE.get(body.upload.key))!.arrayBuffer());
  return text.trim().split("\n").map((l) => JSON.parse(l).record.tag);
}

describe("quotas", () => {
  it("limits a tenant's requests per minute", async () => {
    await createTenant("quota-req", { quotas: { requests_per_minute: 3 } });
    const key = await createKey("quota-req");
    for (let i = 0; i < 3; i++) expect((await send(key, ndjson(1, `ok-${i}`))).status).toBe(200);
    const res = await send(key, ndjson(1, "refused"));
    await expectProblem(res, 429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(await storedTags(key)).toEqual(["ok-0", "ok-1", "ok-2"]);
  });

  it("limits a tenant's events per minute, counting every event of a request", async () => {
    await createTenant("quota-events", { quotas: { events_per_minute: 10 } });
    const key = await createKey("quota-events");
    expect((await send(key, ndjson(6, "a"))).status).toBe(200);
    await expectProblem(await send(key, ndjson(5, "b")), 429);
    expect((await send(key, ndjson(4, "c"))).status).toBe(200);
    expect(await storedTags(key)).toEqual([...Array(6).fill("a"), ...Array(4).fill("c")]);
  });

  it("limits each key on its own", async () => {
    await createTenant("quota-key", { quotas: { key_requests_per_minute: 2 } });
    const one = await createKey("quota-key");
    const two = await createKey("quota-key");
    expect((await send(one, ndjson(1, "1a"))).status).toBe(200);
    expect((await send(one, ndjson(1, "1b"))).status).toBe(200);
    await expectProblem(await send(one, ndjson(1, "1c")), 429);
    expect((await send(two, ndjson(1, "2a"))).status).toBe(200);
  });

  it("caps one noisy asset without starving the tenant's others", async () => {
    await createTenant("quota-asset", { quotas: { asset_events_per_second: 1 } });
    const key = await createKey("quota-asset");
    // The bucket holds 10 s of the rate: 10 events, then the asset must wait.
    expect((await send(key, ndjson(10, "noisy"), "noisy")).status).toBe(200);
    const refused = await send(key, ndjson(1, "noisy-late"), "noisy");
    await expectProblem(refused, 429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await send(key, ndjson(3, "quiet"), "quiet")).status).toBe(200);
    // One request for both: the quiet asset's events are stored, the noisy one's are refused (207).
    const mixed = await post("/v1/logs", key, JSON.stringify([{ asset: "noisy", tag: "x" }, { asset: "quiet", tag: "y" }]));
    expect(mixed.status).toBe(207);
    expect(await mixed.json()).toMatchObject({ ok: false, accepted: 1, assets: { noisy: 0, quiet: 1 }, errors: [{ asset: "noisy", status: 429 }] });
    expect(await storedTags(key, "noisy")).toEqual(Array(10).fill("noisy"));
    expect(await storedTags(key, "quiet")).toEqual([...Array(3).fill("quiet"), "y"]);
  });

  it("accepts 0 as unlimited and rejects negative quotas", async () => {
    await createTenant("quota-zero", { quotas: { requests_per_minute: 0 } });
    await expectProblem(await admin("/v1/admin/tenants/quota-zero/config", "PUT", { quotas: { requests_per_minute: -5 } }), 422);
  });
});
