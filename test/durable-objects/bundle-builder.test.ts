/** sealWindow's failure paths: a failed upload leaves the bundle pending, retried by the alarm with the same bytes. */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sealWindow } from "../../durable-objects/asset-log/bundle-builder.ts";
import { frontierAt } from "../../durable-objects/asset-log/frontier.ts";
import { readLines } from "../../durable-objects/asset-log/read-lines.ts";
import type { AssetLog } from "../../durable-objects/asset-log/asset-log.ts";
import { assetObjectName } from "../../durable-objects/env.ts";
import { canonicalize } from "../../shared/evidence/jcs.ts";
import { parseSigningKeys } from "../../shared/evidence/signing-keys.ts";
import type { EvidenceStore } from "../../shared/storage/evidence-store.ts";
import { R2Store } from "../../shared/storage/r2-store.ts";
import { sha256Hex } from "../../shared/hex.ts";
import { UPLOAD_PENDING_MAX_MS } from "../../shared/limits.ts";

const ring = { max_lines: 1000, max_seconds: 21_600 };

/** An R2 store whose writes of one file fail, as a store outage would. */
function failingOn(file: string): EvidenceStore {
  const real = new R2Store(env.EVIDENCE, "b");
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === "put") {
        return (key: string, ...rest: Parameters<EvidenceStore["put"]> extends [string, ...infer R] ? R : never) =>
          key.endsWith(file) ? Promise.resolve({ ok: false, error: { code: "store_error", detail: "simulated outage" } }) : target.put(key, ...rest);
      }
      // Bind to the real store: its private fields are not reachable through the proxy.
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function attempt(asset: string, store: EvidenceStore, indexBundle: () => Promise<void>) {
  const ref = { tenant: "t-fail", asset, ring };
  const stub = env.ASSET_LOG.getByName(assetObjectName(ref.tenant, ref.asset));
  await stub.append(ref, [{ ts: 1, source: "http", recordJcs: canonicalize({ a: 1 }) }, { ts: 2, source: "http", recordJcs: canonicalize({ a: 2 }) }]);
  const keys = await parseSigningKeys(env.EVIDENCE_SIGNING_KEYS);
  if (!keys.ok) throw new Error(keys.error);
  const result = await runInDurableObject(stub, async (_o: AssetLog, state) => {
    const sql = state.storage.sql;
    const sealed = await sealWindow({
      sql, store, storeConfig: undefined, signer: keys.value.active, tenant: ref.tenant, asset, first: 0, end: 2, sinceSeconds: 0,
      nowMs: Date.now(), windowSinceMs: 0, frontierBefore: frontierAt(sql, 0)!, frontierAfter: frontierAt(sql, 2)!,
      buffer: { oldest_seq_available: 0, truncated: false, evicted_total: 0 },
      lines: () => readLines(sql, 0, 2), indexBundle, random: () => 1,
    });
    // The AssetLog arms its alarm for a pending upload; sealWindow alone does not.
    if (sealed.ok && sealed.value.bundle.upload_next_at) await state.storage.setAlarm(Date.parse(sealed.value.bundle.upload_next_at));
    return sealed;
  });
  return { result, stub, ref };
}

async function storedFiles(asset: string): Promise<string[]> {
  return (await env.EVIDENCE.list({ prefix: `evidence/t-fail/${asset}/` })).objects.map((o) => o.key.split("/").at(-1)!).sort();
}

afterEach(() => vi.useRealTimers());

describe("a seal whose upload fails part-way", () => {
  for (const file of ["records.jsonl.gz", "statement.dsse.json", "metadata.json"]) {
    it(`records the bundle as pending when writing ${file} fails, and the alarm's retry stores it, byte for byte`, async () => {
      const asset = `fail-${file.split(".")[0]}`;
      const { result, stub, ref } = await attempt(asset, failingOn(file), async () => undefined);
      if (!result.ok) throw new Error("seal failed");
      const b = result.value.bundle;
      expect(b).toMatchObject({ upload_status: "pending", upload_attempts: 1, upload_error: "other: simulated outage" });
      // Backoff: 30 s for the first retry (jitter pinned to its upper end).
      expect(Date.parse(b.upload_next_at!) - Date.parse(b.created_at)).toBe(30_000);
      // The bundle is on record and chained: the next seal names it as previous.
      expect((await stub.bundles(ref, 10)).bundles.map((x) => [x.id, x.upload_status])).toEqual([[b.id, "pending"]]);
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(Date.parse(b.upload_next_at!) + 1);
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      vi.useRealTimers();
      const [after] = (await stub.bundles(ref, 10)).bundles;
      expect(after).toMatchObject({ id: b.id, upload_status: "stored", upload_attempts: 2, upload_error: null, upload_next_at: null });
      expect(await storedFiles(asset)).toEqual(["metadata.json", "records.jsonl.gz", "statement.dsse.json"]);
      // The objects are the bundle that was sealed: the statement hashes to what the listing says.
      const statement = await env.EVIDENCE.get(b.prefix + "statement.dsse.json");
      const envelope = JSON.parse(await statement!.text()) as { payload: string };
      const payload = Uint8Array.from(atob(envelope.payload), (ch) => ch.charCodeAt(0));
      expect(await sha256Hex(payload)).toBe(b.statement_sha256);
      const gz = await env.EVIDENCE.get(b.prefix + "records.jsonl.gz");
      expect(await sha256Hex(new Uint8Array(await gz!.arrayBuffer()))).toBe(b.gz_sha256);
    });
  }

  it("keeps the range pinned against trimming while the upload is pending", async () => {
    const { result, stub, ref } = await attempt("fail-pinned", failingOn("records.jsonl.gz"), async () => undefined);
    if (!result.ok) throw new Error("seal failed");
    // Two more lines with max_lines 1: seq 0 and 1 leave the ring, but stay stored for the retry.
    const tight = { ...ref, ring: { max_lines: 1, max_seconds: 21_600 } };
    await stub.append(tight, [{ ts: 3, source: "http", recordJcs: canonicalize({ a: 3 }) }, { ts: 4, source: "http", recordJcs: canonicalize({ a: 4 }) }]);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.parse(result.value.bundle.upload_next_at!) + 1);
    await runDurableObjectAlarm(stub);
    vi.useRealTimers();
    expect((await stub.bundles(tight, 1)).bundles[0]!.upload_status).toBe("stored");
  });

  it("a tenant index failure is retried like a store failure", async () => {
    let calls = 0;
    const { result, stub, ref } = await attempt("fail-index", new R2Store(env.EVIDENCE, "b"), async () => {
      if (calls++ === 0) throw new Error("Tenant object overloaded");
    });
    if (!result.ok) throw new Error("seal failed");
    expect(result.value.bundle).toMatchObject({ upload_status: "pending", upload_error: expect.stringMatching(/tenant bundle index/) });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.parse(result.value.bundle.upload_next_at!) + 1);
    await runDurableObjectAlarm(stub);
    vi.useRealTimers();
    expect((await stub.bundles(ref, 1)).bundles[0]!.upload_status).toBe("stored");
  });

  it("gives up after UPLOAD_PENDING_MAX_MS: marked failed, partial objects removed, range unpinned", async () => {
    const { result, stub, ref } = await attempt("fail-forever", failingOn("metadata.json"), async () => undefined);
    if (!result.ok) throw new Error("seal failed");
    expect(await storedFiles("fail-forever")).toEqual(["records.jsonl.gz", "statement.dsse.json"]);
    // Age the bundle past the limit and make the next retry fail too (its store can no longer be built).
    await runInDurableObject(stub, async (_o: AssetLog, state) => {
      state.storage.sql.exec("UPDATE bundles SET created_at = created_at - ?, store_config = ? WHERE id = ?", UPLOAD_PENDING_MAX_MS, JSON.stringify({ provider: "s3", endpoint: "https://s3.example.com", region: "auto", bucket: "b", path_style: true, access_key_id_ref: "NOT_SET_1", secret_access_key_ref: "NOT_SET_2" }), result.value.bundle.id);
    });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.parse(result.value.bundle.upload_next_at!) + 1);
    await runDurableObjectAlarm(stub);
    vi.useRealTimers();
    const [b] = (await stub.bundles(ref, 1)).bundles;
    expect(b).toMatchObject({ upload_status: "failed", upload_error: expect.stringMatching(/^config: .*NOT_SET_1/) });
  });
});
