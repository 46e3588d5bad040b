/** R2Store: create-only writes never overwrite, multipart assembles parts in order. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { R2Store } from "../../shared/storage/r2-store.ts";

describe("R2Store", () => {
  it("refuses to overwrite with ifNoneMatch, for single puts and multipart uploads", async () => {
    const store = new R2Store(env.EVIDENCE, "b");
    expect(await store.put("evidence/x/one", "first", { contentType: "text/plain", ifNoneMatch: true })).toEqual({ ok: true, value: { key: "evidence/x/one" } });
    expect(await store.put("evidence/x/one", "second", { contentType: "text/plain", ifNoneMatch: true })).toEqual({ ok: false, error: { code: "exists" } });
    expect(await (await env.EVIDENCE.get("evidence/x/one"))!.text()).toBe("first");
    async function* parts() {
      yield new Uint8Array(5 * 1024 * 1024).fill(1);
      yield new Uint8Array(10).fill(2);
    }
    expect(await store.putParts("evidence/x/one", parts(), { contentType: "x", ifNoneMatch: true })).toEqual({ ok: false, error: { code: "exists" } });
    const res = await store.putParts("evidence/x/two", parts(), { contentType: "x", ifNoneMatch: true });
    expect(res).toEqual({ ok: true, value: { key: "evidence/x/two", size: 5 * 1024 * 1024 + 10 } });
    const got = new Uint8Array(await (await env.EVIDENCE.get("evidence/x/two"))!.arrayBuffer());
    expect(got.byteLength).toBe(5 * 1024 * 1024 + 10);
    expect([got[0], got[5 * 1024 * 1024 - 1], got[5 * 1024 * 1024]]).toEqual([1, 1, 2]);
    expect(store.url("evidence/x/two")).toBe("r2://b/evidence/x/two");
  });
});
