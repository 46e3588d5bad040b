/**
 * Path traversal: asset ids, bundle ids and bundle file names that try to climb out of their
 * place (in URLs, in object keys, in Durable Object names) are refused or stay one opaque segment.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { call, createKey, createTenant, env, expectProblem, getWithKey, post } from "../fixtures/bridge.ts";

let key: string;
let otherKey: string;
let otherBundle: string;

beforeAll(async () => {
  await createTenant("trav-a");
  await createTenant("trav-b");
  key = await createKey("trav-a");
  otherKey = await createKey("trav-b");
  expect((await post("/v1/logs?asset=secret", otherKey, JSON.stringify({ note: "b-only" }))).status).toBe(200);
  otherBundle = ((await (await getWithKey("/v1/assets/secret/evidence?since=0", otherKey)).json()) as { bundle: { id: string } }).bundle.id;
});

async function storedIn(tenant: string): Promise<string[]> {
  return (await env.EVIDENCE.list({ prefix: `evidence/${tenant}/` })).objects.map((o) => o.key);
}

describe("asset ids", () => {
  it('refuses "." and ".." wherever an asset is named, and stores nothing', async () => {
    for (const asset of [".", ".."]) {
      await expectProblem(await post(`/v1/logs?asset=${asset}`, key, "{}"), 400);
      await expectProblem(await post("/v1/logs", key, "{}", { "X-Asset-Id": asset }), 400);
      await expectProblem(await post("/v1/logs", key, JSON.stringify({ asset, n: 1 })), 422);
      await expectProblem(await getWithKey(`/evidence?since=0&asset=${asset}`, key), 400);
    }
    const assets = (await (await getWithKey("/v1/assets", key)).json()) as { assets: unknown[] };
    expect(assets.assets).toEqual([]);
  });

  it('an alias naming ".." is not applied: the event keeps its own asset', async () => {
    const aliasKey = await (async () => {
      await createTenant("trav-alias", { asset_mapping: { aliases: { web: ".." } } });
      return createKey("trav-alias");
    })();
    expect(await (await post("/v1/logs?asset=web", aliasKey, JSON.stringify({ n: 1 }))).json()).toMatchObject({ assets: { web: 1 } });
  });

  it("keeps an id with slashes and dots one segment of the object key, under the tenant's prefix", async () => {
    const asset = "../trav-b/secret";
    expect((await post(`/v1/logs?asset=${encodeURIComponent(asset)}`, key, JSON.stringify({ n: 1 }))).status).toBe(200);
    const ev = (await (await getWithKey(`/evidence?since=0&asset=${encodeURIComponent(asset)}`, key)).json()) as { upload: { key: string } };
    expect(ev.upload.key.startsWith(`evidence/trav-a/${encodeURIComponent(asset)}/`)).toBe(true);
    for (const k of await storedIn("trav-a")) expect(k.split("/").filter((s) => s === ".." || s === ".")).toEqual([]);
    // Read back through the API it is trav-a's own asset, not trav-b's.
    const summary = (await (await getWithKey(`/v1/assets/${encodeURIComponent(asset)}/summary?since=3600`, key)).json()) as { asset: string; events: number };
    expect(summary).toMatchObject({ asset, events: 1 });
    expect((await storedIn("trav-b")).every((k) => !k.includes("trav-a"))).toBe(true);
  });

  it("never reaches another tenant's object: NUL (the name separator) and encoded traversals are refused", async () => {
    for (const path of ["/v1/assets/secret%00x/summary", "/v1/assets/%00/alerts", `/v1/assets/${"%2e".repeat(2)}%2f${"%2e".repeat(2)}%2ftrav-b%00secret/evidence?since=0`]) {
      const res = await getWithKey(path, key);
      expect([400, 404], path).toContain(res.status);
      expect(await res.text(), path).not.toContain("b-only");
    }
    // Dot segments are resolved by the URL parser before routing: no route, not another asset.
    for (const path of ["/v1/assets/../../v1/assets/secret/summary", "/v1/assets/%2e%2e/summary", "/v1/assets/./summary"]) {
      const res = await getWithKey(path, key);
      expect(await res.text(), path).not.toContain("b-only");
      expect(res.status, path).not.toBe(500);
    }
  });
});

describe("bundle downloads", () => {
  it("accept only bundle ids as the bridge makes them and the three file names", async () => {
    const bad = [
      `/v1/bundles/${otherBundle}/..%2F..%2Fmetadata.json`,
      `/v1/bundles/${otherBundle}/records.jsonl.gz%00.txt`,
      `/v1/bundles/..%2F..%2Fevidence%2Ftrav-b/records.jsonl.gz`,
      `/v1/bundles/${encodeURIComponent(`../trav-b/secret/${otherBundle}`)}/records.jsonl.gz`,
      `/v1/bundles/%252e%252e/metadata.json`,
      `/v1/bundles/${otherBundle}/%2e%2e%2fstatement.dsse.json`,
      `/v1/bundles/${otherBundle}.json/metadata.json`,
      // Another tenant's real bundle id: looked up in the caller's own tenant only.
      `/v1/bundles/${otherBundle}/records.jsonl.gz`,
    ];
    for (const path of bad) {
      const res = await getWithKey(path, key);
      const text = await res.text();
      expect(res.status, path).toBe(404);
      expect(text, path).not.toContain("b-only");
    }
    expect((await getWithKey(`/v1/bundles/${otherBundle}/metadata.json`, otherKey)).status).toBe(200);
  });

  it("admin paths take tenant ids only: no traversal into another tenant", async () => {
    const adminKey = await createKey("trav-a", ["admin"]);
    for (const path of ["/v1/admin/tenants/trav-a%2F..%2Ftrav-b/config", "/v1/admin/tenants/..%2Ftrav-b/keys", "/v1/admin/tenants/trav-a/../trav-b/config"]) {
      const res = await call(path, { headers: { Authorization: `Bearer ${adminKey}` } });
      expect([403, 404], path).toContain(res.status);
      expect(await res.text(), path).not.toContain("trav-b\"");
    }
  });
});
