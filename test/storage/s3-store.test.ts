/** S3Store over real HTTP against a fake S3 that verifies SigV4 and enforces S3 semantics. */
import { createHash } from "node:crypto";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreFailure } from "../../shared/storage/evidence-store.ts";
import { S3Store, type S3StoreOptions } from "../../shared/storage/s3-store.ts";
import { FakeS3 } from "../support/fake-s3.ts";
import { loopbackFetch } from "../support/loopback-fetch.ts";

const SECRET = "server-secret-4f9a1c";
const MiB = 1024 * 1024;
const fake = new FakeS3({
  accessKeyId: "AKIDTEST", secretAccessKey: SECRET, region: "eu-test-1",
  buckets: ["evidence", "locked"], objectLockBuckets: ["locked"], virtualHostDomain: "s3.test",
});
let endpoint = "";

beforeAll(async () => {
  endpoint = await fake.start();
});
afterAll(() => fake.close());

function store(o: Partial<S3StoreOptions> = {}): S3Store {
  return new S3Store({ endpoint, region: "eu-test-1", bucket: "evidence", pathStyle: true, accessKeyId: "AKIDTEST", secretAccessKey: SECRET, ...o });
}

async function text(s: ReadableStream<Uint8Array> | null): Promise<string | null> {
  return s ? new Response(s).text() : null;
}

async function* chunks(sizes: number[]): AsyncGenerator<Uint8Array> {
  for (const [i, n] of sizes.entries()) yield new Uint8Array(n).map((_, j) => (i * 31 + j) % 251);
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const opts = { contentType: "application/json", ifNoneMatch: true };

describe("S3Store", () => {
  it("puts, gets, lists over several pages and deletes", async () => {
    const s = store({ listPageSize: 2 });
    for (let i = 0; i < 5; i++) expect(await s.put(`evidence/t/a/obj-${i}.json`, `{"i":${i}}`, opts)).toEqual({ ok: true, value: { key: `evidence/t/a/obj-${i}.json` } });
    await s.put("other/x", "x", opts);
    expect(await text(await s.get("evidence/t/a/obj-3.json"))).toBe('{"i":3}');
    expect(fake.object("evidence", "evidence/t/a/obj-3.json")?.contentType).toBe("application/json");
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
    expect(await s.delete(keys)).toEqual({ deleted: 5, failed: [] });
    expect(await s.list("evidence/t/")).toEqual({ objects: [] });
    expect(await s.get("evidence/t/a/obj-3.json")).toBeNull();
    expect(s.url("evidence/t/a/obj-3.json")).toBe("s3://evidence/evidence/t/a/obj-3.json");
  });

  it("round-trips keys that need URL encoding and XML escaping", async () => {
    const s = store();
    const key = "evidence/odd/a b+c&d<e>'f\"(g)*!~é.json";
    expect(await s.put(key, "odd", opts)).toMatchObject({ ok: true });
    expect(await text(await s.get(key))).toBe("odd");
    expect((await s.list("evidence/odd/")).objects.map((o) => o.key)).toEqual([key]);
    expect(await s.delete([key])).toEqual({ deleted: 1, failed: [] });
    expect(fake.object("evidence", key)).toBeUndefined();
  });

  it("deletes in batches of 1000 keys", async () => {
    const s = store();
    for (const k of ["evidence/batch/1", "evidence/batch/2"]) await s.put(k, "x", opts);
    const keys = ["evidence/batch/1", ...Array.from({ length: 1000 }, (_, i) => `evidence/batch/absent-${i}`), "evidence/batch/2"];
    const before = fake.log.length;
    expect(await s.delete(keys)).toEqual({ deleted: 1002, failed: [] });
    const posts = fake.log.slice(before).filter((r) => r.method === "POST" && r.url.endsWith("?delete"));
    expect(posts.map((r) => r.headers["content-md5"])).toEqual([expect.any(String), expect.any(String)]);
    expect(fake.object("evidence", "evidence/batch/2")).toBeUndefined();
  });

  it("rejects a wrong secret with reason auth, and no secret in any error text", async () => {
    const s = store({ secretAccessKey: "wrong-secret-77" });
    const put = await s.put("evidence/auth/x", "x", opts);
    expect(put).toEqual({ ok: false, error: { code: "store_error", reason: "auth", detail: expect.stringContaining("403 SignatureDoesNotMatch") } });
    expect(fake.object("evidence", "evidence/auth/x")).toBeUndefined();
    const got = await s.get("evidence/auth/x").catch((e: unknown) => e);
    expect(got).toBeInstanceOf(StoreFailure);
    expect(got).toMatchObject({ reason: "auth" });
    await expect(s.list("evidence/")).rejects.toMatchObject({ reason: "auth" });
    const del = await s.delete(["evidence/auth/x"]);
    expect(del).toMatchObject({ deleted: 0, failed: [{ key: "evidence/auth/x", reason: "auth" }] });
    const all = JSON.stringify([put, del, (got as Error).message]);
    for (const secret of ["wrong-secret-77", SECRET, "Signature=", "AWS4-HMAC"]) expect(all).not.toContain(secret);
  });

  it("reports an unknown bucket as bucket_missing and a dead endpoint as network", async () => {
    expect(await store({ bucket: "nope" }).put("evidence/x", "x", opts)).toMatchObject({ ok: false, error: { reason: "bucket_missing", detail: expect.stringContaining("NoSuchBucket") } });
    await expect(store({ bucket: "nope" }).get("evidence/x")).rejects.toMatchObject({ reason: "bucket_missing" });
    const closed = await closedPort();
    const dead = store({ endpoint: `http://127.0.0.1:${closed}`, maxRetries: 1 });
    const res = await dead.put("evidence/x", "x", opts);
    expect(res).toMatchObject({ ok: false, error: { code: "store_error", reason: "network" } });
    expect(JSON.stringify(res)).not.toContain(SECRET);
    expect(dead.stats).toEqual({ requests: 2, retries: 1 });
  });

  it("refuses to overwrite with ifNoneMatch (exists), and overwrites without it", async () => {
    const s = store();
    expect(await s.put("evidence/c/one", "first", opts)).toMatchObject({ ok: true });
    const before = fake.log.length;
    expect(await s.put("evidence/c/one", "second", opts)).toEqual({ ok: false, error: { code: "exists" } });
    expect(fake.log.slice(before).map((r) => [r.method, r.headers["if-none-match"]])).toEqual([["PUT", "*"]]);
    expect(await text(await s.get("evidence/c/one"))).toBe("first");
    expect(await s.put("evidence/c/one", "third", { contentType: "text/plain" })).toMatchObject({ ok: true });
    expect(await text(await s.get("evidence/c/one"))).toBe("third");
  });

  it("checks with HEAD first on stores without conditional writes", async () => {
    const s = store({ conditionalWrites: false });
    const before = fake.log.length;
    expect(await s.put("evidence/h/one", "first", opts)).toMatchObject({ ok: true });
    expect(await s.put("evidence/h/one", "second", opts)).toEqual({ ok: false, error: { code: "exists" } });
    expect(fake.log.slice(before).map((r) => [r.method, r.headers["if-none-match"]])).toEqual([["HEAD", undefined], ["PUT", undefined], ["HEAD", undefined]]);
    expect(await text(await s.get("evidence/h/one"))).toBe("first");
  });

  it("uploads an object over 5 MiB in 5 MiB parts, reads back the same bytes, and refuses to overwrite it", async () => {
    const s = store();
    const sizes = [5 * MiB, 5 * MiB, 1234];
    const res = await s.putParts("evidence/big/bundle.jsonl.gz", chunks(sizes), { contentType: "application/gzip", ifNoneMatch: true });
    expect(res).toEqual({ ok: true, value: { key: "evidence/big/bundle.jsonl.gz", size: 10 * MiB + 1234 } });
    const expected = new Uint8Array(10 * MiB + 1234);
    let at = 0;
    for await (const c of chunks(sizes)) {
      expected.set(c, at);
      at += c.byteLength;
    }
    const got = new Uint8Array(await new Response(await s.get("evidence/big/bundle.jsonl.gz")).arrayBuffer());
    expect(sha(got)).toBe(sha(expected));
    expect(fake.object("evidence", "evidence/big/bundle.jsonl.gz")?.etag).toMatch(/-3"$/);
    // Complete is conditional: the second upload is refused and aborted, nothing left behind.
    expect(await s.putParts("evidence/big/bundle.jsonl.gz", chunks([5 * MiB, 10]), { contentType: "application/gzip", ifNoneMatch: true })).toEqual({ ok: false, error: { code: "exists" } });
    expect(fake.uploads.size).toBe(0);
    expect(sha(fake.object("evidence", "evidence/big/bundle.jsonl.gz")!.body)).toBe(sha(expected));
  });

  it("aborts the multipart upload when a part cannot be produced or is refused", async () => {
    const s = store();
    async function* broken() {
      yield new Uint8Array(5 * MiB);
      throw new Error("source failed");
    }
    expect(await s.putParts("evidence/big/broken", broken(), opts)).toMatchObject({ ok: false, error: { code: "store_error", detail: expect.stringContaining("source failed") } });
    // A short first part makes the store refuse Complete (EntityTooSmall).
    expect(await s.putParts("evidence/big/small", chunks([10, 10]), opts)).toMatchObject({ ok: false, error: { code: "store_error", detail: expect.stringContaining("EntityTooSmall") } });
    expect(fake.uploads.size).toBe(0);
    expect(fake.object("evidence", "evidence/big/broken")).toBeUndefined();
  });

  it("sends Object Lock headers on every write, and a locked object cannot be deleted or overwritten", async () => {
    const s = store({ bucket: "locked", objectLock: { mode: "COMPLIANCE", retainDays: 30 } });
    const before = fake.log.length;
    expect(await s.put("evidence/l/one", "kept", opts)).toMatchObject({ ok: true });
    expect(await s.putParts("evidence/l/big", chunks([5 * MiB, 3]), opts)).toMatchObject({ ok: true });
    const writes = fake.log.slice(before).filter((r) => r.method === "PUT" || r.url.endsWith("?uploads"));
    expect(writes).toHaveLength(4); // PutObject, CreateMultipartUpload, 2 x UploadPart
    for (const w of writes.filter((r) => !r.url.includes("partNumber="))) {
      expect(w.headers["x-amz-object-lock-mode"]).toBe("COMPLIANCE");
      const until = Date.parse(String(w.headers["x-amz-object-lock-retain-until-date"]));
      expect(Math.abs(until - (Date.now() + 30 * 86_400_000))).toBeLessThan(60_000);
    }
    for (const w of writes.filter((r) => r.method === "PUT")) expect(w.headers["content-md5"]).toEqual(expect.any(String));
    expect(fake.object("locked", "evidence/l/big")?.lock?.mode).toBe("COMPLIANCE");
    const del = await s.delete(["evidence/l/one", "evidence/l/big"]);
    expect(del).toEqual({
      deleted: 0,
      failed: ["evidence/l/one", "evidence/l/big"].map((key) => ({ key, reason: "locked", detail: expect.stringContaining("object lock") })),
    });
    expect(await s.put("evidence/l/one", "replaced", { contentType: "text/plain" })).toMatchObject({ ok: false, error: { reason: "locked" } });
    expect(await text(await s.get("evidence/l/one"))).toBe("kept");
  });

  it("retries 5xx a bounded number of times and counts every attempt", async () => {
    const s = store();
    fake.failNext(2);
    const before = fake.requestCount;
    expect(await s.put("evidence/r/one", "x", opts)).toMatchObject({ ok: true });
    expect(s.stats).toEqual({ requests: 3, retries: 2 });
    expect(fake.requestCount - before).toBe(3);
    fake.failNext(10);
    const failed = store({ maxRetries: 2 });
    expect(await failed.put("evidence/r/two", "x", opts)).toMatchObject({ ok: false, error: { reason: "unavailable", detail: expect.stringContaining("503") } });
    expect(failed.stats).toEqual({ requests: 3, retries: 2 });
    fake.failNext(0);
  });

  it("addresses the bucket by host name in virtual-host style", async () => {
    // The endpoint names a host that does not resolve; loopbackFetch connects to the fake's port
    // and sends Host: evidence.s3.test:<port>, as a client would after DNS.
    const s = store({ endpoint: `http://s3.test:${fake.port}`, pathStyle: false, fetch: loopbackFetch });
    const before = fake.log.length;
    expect(await s.put("evidence/v/one", "vhost", opts)).toMatchObject({ ok: true });
    expect(await text(await s.get("evidence/v/one"))).toBe("vhost");
    expect((await s.list("evidence/v/")).objects.map((o) => o.key)).toEqual(["evidence/v/one"]);
    expect(await s.putParts("evidence/v/big", chunks([5 * MiB, 1]), opts)).toMatchObject({ ok: true });
    expect(await s.delete(["evidence/v/one", "evidence/v/big"])).toEqual({ deleted: 2, failed: [] });
    const seen = fake.log.slice(before);
    expect(new Set(seen.map((r) => r.headers.host))).toEqual(new Set([`evidence.s3.test:${fake.port}`]));
    expect(seen[0]!.url).toBe("/evidence/v/one");
    expect(fake.object("evidence", "evidence/v/one")).toBeUndefined();
  });
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}
