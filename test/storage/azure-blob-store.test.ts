/** AzureBlobStore over real HTTP against a fake Blob service that checks the SAS and headers. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AzureBlobStore, type AzureBlobStoreOptions } from "../../shared/storage/azure-blob-store.ts";
import { StoreFailure } from "../../shared/storage/evidence-store.ts";
import { FakeAzureBlob, sasToken } from "../support/fake-azure-blob.ts";

const SIG = "c2lnbmF0dXJlLW9mLXRoZS1zYXM%3D-test";
const fake = new FakeAzureBlob({ account: "devaccount", containers: ["evidence"], sig: SIG });
let base = "";

beforeAll(async () => {
  base = await fake.start();
});
afterAll(() => fake.close());

function store(o: Partial<AzureBlobStoreOptions> = {}): AzureBlobStore {
  return new AzureBlobStore({ containerUrl: `${base}/evidence`, sasToken: `?${sasToken({ sig: SIG })}`, ...o });
}

async function text(s: ReadableStream<Uint8Array> | null): Promise<string | null> {
  return s ? new Response(s).text() : null;
}

const opts = { contentType: "application/json", ifNoneMatch: true };

/** Every error text a caller could show or log. */
function expectNoSas(...values: unknown[]): void {
  const all = values.map((v) => (v instanceof Error ? v.message : JSON.stringify(v))).join("\n");
  expect(all).not.toContain(SIG);
  expect(all).not.toContain(decodeURIComponent(SIG));
  expect(all).not.toMatch(/sig=|[?&]s[evp]=/);
}

describe("AzureBlobStore", () => {
  it("puts (BlockBlob, x-ms-version), gets, lists with marker paging and deletes", async () => {
    const s = store({ listPageSize: 2 });
    const before = fake.log.length;
    for (let i = 0; i < 5; i++) expect(await s.put(`evidence/t/a/obj-${i}.json`, `{"i":${i}}`, opts)).toEqual({ ok: true, value: { key: `evidence/t/a/obj-${i}.json` } });
    const puts = fake.log.slice(before);
    expect(puts.map((r) => [r.method, r.headers["x-ms-blob-type"], r.headers["if-none-match"], typeof r.headers["x-ms-version"]])).toEqual(Array(5).fill(["PUT", "BlockBlob", "*", "string"]));
    expect(fake.blob("evidence", "evidence/t/a/obj-0.json")?.contentType).toBe("application/json");
    expect(await text(await s.get("evidence/t/a/obj-4.json"))).toBe('{"i":4}');
    const keys: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await s.list("evidence/t/", cursor);
      pages++;
      for (const o of page.objects) {
        keys.push(o.key);
        expect(o.size).toBe(7);
        expect(Math.abs(o.uploaded.getTime() - Date.now())).toBeLessThan(60_000);
      }
      cursor = page.cursor;
    } while (cursor);
    expect(pages).toBe(3);
    expect(keys).toEqual([0, 1, 2, 3, 4].map((i) => `evidence/t/a/obj-${i}.json`));
    expect(await s.delete([...keys, "evidence/t/a/never-existed"])).toEqual({ deleted: 6, failed: [] });
    expect(await s.list("evidence/t/")).toEqual({ objects: [] });
    expect(await s.get("evidence/t/a/obj-4.json")).toBeNull();
    expect(s.url("evidence/t/a/obj-4.json")).toBe(`${base}/evidence/evidence/t/a/obj-4.json`);
    expect(s.bucket).toBe("evidence");
  });

  it("refuses to overwrite with ifNoneMatch (exists)", async () => {
    const s = store();
    expect(await s.put("evidence/c/one", "first", opts)).toMatchObject({ ok: true });
    expect(await s.put("evidence/c/one", "second", opts)).toEqual({ ok: false, error: { code: "exists" } });
    expect(await text(await s.get("evidence/c/one"))).toBe("first");
  });

  it("uploads blocks and commits them with a conditional block list", async () => {
    const s = store();
    async function* parts() {
      for (let i = 0; i < 3; i++) yield new TextEncoder().encode(`part-${i};`.repeat(1000));
    }
    expect(await s.putParts("evidence/big/blob", parts(), { contentType: "application/gzip", ifNoneMatch: true })).toEqual({ ok: true, value: { key: "evidence/big/blob", size: 21_000 } });
    expect(await text(await s.get("evidence/big/blob"))).toBe(["part-0;", "part-1;", "part-2;"].map((p) => p.repeat(1000)).join(""));
    expect(fake.blob("evidence", "evidence/big/blob")?.contentType).toBe("application/gzip");
    expect(await s.putParts("evidence/big/blob", parts(), { contentType: "application/gzip", ifNoneMatch: true })).toEqual({ ok: false, error: { code: "exists" } });
    expect(await text(await s.get("evidence/big/blob"))).toHaveLength(21_000);
  });

  it("reports a bad, expired or under-privileged SAS as auth, never showing the SAS", async () => {
    const wrong = store({ sasToken: sasToken({ sig: "forged-signature" }) });
    const put = await wrong.put("evidence/auth/x", "x", opts);
    expect(put).toEqual({ ok: false, error: { code: "store_error", reason: "auth", detail: expect.stringContaining("403 AuthenticationFailed") } });
    const got = await wrong.get("evidence/auth/x").catch((e: unknown) => e);
    expect(got).toBeInstanceOf(StoreFailure);
    expect(got).toMatchObject({ reason: "auth" });
    const listed = await wrong.list("evidence/").catch((e: unknown) => e);
    expect(listed).toMatchObject({ reason: "auth" });
    const expired = await store({ sasToken: sasToken({ sig: SIG, se: new Date(Date.now() - 1000) }) }).put("evidence/auth/x", "x", opts);
    expect(expired).toMatchObject({ ok: false, error: { reason: "auth" } });
    await store().put("evidence/auth/kept", "x", opts);
    const noDelete = await store({ sasToken: sasToken({ sig: SIG, sp: "rcwl" }) }).delete(["evidence/auth/kept"]);
    expect(noDelete).toEqual({ deleted: 0, failed: [{ key: "evidence/auth/kept", reason: "auth", detail: expect.stringContaining("AuthorizationPermissionMismatch") }] });
    expect(fake.blob("evidence", "evidence/auth/kept")).toBeDefined();
    expectNoSas(put, got, listed, expired, noDelete);
  });

  it("reports a missing container as bucket_missing and a dead endpoint as network, without the SAS", async () => {
    const missing = store({ containerUrl: `${base}/nope` });
    const put = await missing.put("evidence/x", "x", opts);
    expect(put).toMatchObject({ ok: false, error: { reason: "bucket_missing", detail: expect.stringContaining("ContainerNotFound") } });
    const got = await missing.get("evidence/x").catch((e: unknown) => e);
    expect(got).toMatchObject({ reason: "bucket_missing" });
    const dead = store({ containerUrl: "http://127.0.0.1:1/devaccount/evidence", maxRetries: 0 });
    const res = await dead.put("evidence/x", "x", opts);
    expect(res).toMatchObject({ ok: false, error: { reason: "network" } });
    const listed = await dead.list("evidence/").catch((e: unknown) => e);
    expect(listed).toMatchObject({ reason: "network" });
    expectNoSas(put, got, res, listed);
  });

  it("retries a busy service a bounded number of times and counts every attempt", async () => {
    const s = store();
    fake.failNext(2);
    expect(await s.put("evidence/r/one", "x", opts)).toMatchObject({ ok: true });
    expect(s.stats).toEqual({ requests: 3, retries: 2 });
    fake.failNext(10);
    const res = await store({ maxRetries: 1 }).put("evidence/r/two", "x", opts);
    expect(res).toMatchObject({ ok: false, error: { reason: "unavailable", detail: expect.stringContaining("503 ServerBusy") } });
    fake.failNext(0);
  });
});
