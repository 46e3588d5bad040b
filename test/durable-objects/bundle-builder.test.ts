/** sealWindow's failure paths: a store or index failure leaves no objects and no bundle row. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sealWindow } from "../../durable-objects/asset-log/bundle-builder.ts";
import { frontierAt } from "../../durable-objects/asset-log/frontier.ts";
import { readLines } from "../../durable-objects/asset-log/read-lines.ts";
import type { AssetLog } from "../../durable-objects/asset-log/asset-log.ts";
import { assetObjectName } from "../../durable-objects/env.ts";
import { canonicalize } from "../../shared/evidence/jcs.ts";
import { parseSigningKeys } from "../../shared/evidence/signing-keys.ts";
import type { EvidenceStore } from "../../shared/storage/evidence-store.ts";
import { R2Store } from "../../shared/storage/r2-store.ts";

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
  return runInDurableObject(stub, async (_o: AssetLog, state) => {
    const sql = state.storage.sql;
    const result = await sealWindow({
      sql, store, signer: keys.value.active, tenant: ref.tenant, asset, first: 0, end: 2, sinceSeconds: 0,
      nowMs: Date.now(), windowSinceMs: 0, frontierBefore: frontierAt(sql, 0)!, frontierAfter: frontierAt(sql, 2)!,
      buffer: { oldest_seq_available: 0, truncated: false, evicted_total: 0 },
      lines: () => readLines(sql, 0, 2), indexBundle,
    });
    const rows = sql.exec("SELECT COUNT(*) AS n FROM bundles").one().n;
    return { result, rows };
  });
}

describe("a seal that fails part-way", () => {
  for (const file of ["statement.dsse.json", "metadata.json"]) {
    it(`removes what it wrote when writing ${file} fails`, async () => {
      const asset = `fail-${file.split(".")[0]}`;
      const { result, rows } = await attempt(asset, failingOn(file), async () => undefined);
      expect(result).toMatchObject({ ok: false, error: { code: "store_error" } });
      expect(rows).toBe(0);
      expect((await env.EVIDENCE.list({ prefix: `evidence/t-fail/${asset}/` })).objects).toEqual([]);
    });
  }

  it("removes what it wrote when the tenant index cannot be updated", async () => {
    const { result, rows } = await attempt("fail-index", new R2Store(env.EVIDENCE, "b"), async () => {
      throw new Error("Tenant object overloaded");
    });
    expect(result).toMatchObject({ ok: false, error: { code: "store_error", detail: expect.stringMatching(/index/) } });
    expect(rows).toBe(0);
    expect((await env.EVIDENCE.list({ prefix: "evidence/t-fail/fail-index/" })).objects).toEqual([]);
  });
});
