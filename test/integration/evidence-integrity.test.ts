/**
 * Signed, Merkle-proved bundles built through the real DO, checked with the offline
 * verifier — and the tamper suite: every kind of change is rejected with its own code.
 */
import { describe, expect, it } from "vitest";
import { generateSigningKey } from "../../shared/evidence/signing-keys.ts";
import { verifyBundle } from "../../shared/evidence/verify.ts";
import { call, getWithKey, gunzipText, gzip, post, tenantWithKey } from "../fixtures/bridge.ts";
import { jwks, resign, rewriteLines, sealAndDownload, statementOf, type Downloaded } from "../fixtures/evidence.ts";

async function ingest(key: string, asset: string, from: number, n: number) {
  const body = Array.from({ length: n }, (_, i) => JSON.stringify({ n: from + i, action: "BLOCK", latency_ms: 10 + i })).join("\n");
  const res = await post(`/v1/logs?asset=${asset}`, key, body, { "Content-Type": "application/x-ndjson" });
  expect(res.status).toBe(200);
}

async function verify(b: Downloaded, previous?: Downloaded) {
  return verifyBundle({ records: b.records, statement: b.statement }, { jwks: await jwks(), ...(previous ? { previous: { statement: previous.statement } } : {}) });
}

describe("JWKS", () => {
  it("publishes every signing key's public part with alg Ed25519 and use sig", async () => {
    const res = await call("/.well-known/jwks.json");
    expect(res.headers.get("cache-control")).toMatch(/max-age/);
    const body = (await res.json()) as { keys: Record<string, string>[] };
    expect(body.keys).toHaveLength(2);
    for (const k of body.keys) {
      expect(k).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "Ed25519", use: "sig", kid: expect.any(String), x: expect.any(String) });
      expect(k.d).toBeUndefined();
    }
  });
});

describe("signed evidence bundles", () => {
  it("signs each bundle with the active key and describes where the statement is", async () => {
    const key = await tenantWithKey("ev-sign");
    await ingest(key, "fw", 0, 5);
    const b = await sealAndDownload(key, "fw");
    const keys = ((await jwks()) as { keys: { kid: string }[] }).keys;
    expect(b.response.bundle.kid).toBe(keys[0]!.kid);
    expect(b.response.bundle.statement).toBe(b.response.bundle.prefix + "statement.dsse.json");
    expect(b.metadata).toMatchObject({ line_count: 5, kid: keys[0]!.kid, bundle_id: b.id });
    const st = statementOf(b.statement);
    expect(st).toMatchObject({
      _type: "https://in-toto.io/Statement/v1",
      predicateType: "https://telemetry-bridge.dev/evidence-bundle/v1",
      subject: [{ name: "records.jsonl.gz" }, { name: "records.jsonl" }],
      predicate: {
        tenant: "ev-sign", asset: "fw", bundle_id: b.id,
        records: { first_seq: 0, end_seq: 5, count: 5 },
        merkle: { alg: "rfc6962-sha256", tree_size_before: 0, tree_size_after: 5, frontier_before: [] },
        previous: null,
        buffer: { oldest_seq_available: 0, truncated: false, evicted_total: 0 },
        producer: { service: "telemetry-bridge" },
      },
    });
    const report = await verify(b);
    expect(report).toMatchObject({ ok: true, code: "ok", bundle_id: b.id, first_seq: 0, end_seq: 5 });
  });

  it("chains consecutive bundles: previous names the last bundle, and the verifier accepts the pair", async () => {
    const key = await tenantWithKey("ev-chain");
    await ingest(key, "fw", 0, 3);
    const one = await sealAndDownload(key, "fw");
    await ingest(key, "fw", 3, 4);
    // The whole buffer again: overlaps the first bundle and continues it.
    const two = await sealAndDownload(key, "fw");
    const st2 = statementOf(two.statement);
    expect(st2.predicate.previous).toEqual({ bundle_id: one.id, statement_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await verify(two, one)).toMatchObject({ ok: true, previous_bundle_id: one.id });
    // The first cannot claim to continue the second.
    expect(await verify(one, two)).toMatchObject({ ok: false, code: "chain_break" });
  });

  it("with since=continue, seals exactly what followed the last bundle: consecutive bundles join exactly", async () => {
    const key = await tenantWithKey("ev-continue");
    await ingest(key, "fw", 0, 3);
    const one = await sealAndDownload(key, "fw", "continue");
    await ingest(key, "fw", 3, 2);
    const two = await sealAndDownload(key, "fw", "continue");
    const [s1, s2] = [statementOf(one.statement).predicate, statementOf(two.statement).predicate];
    expect([s1.records.first_seq, s1.records.end_seq, s2.records.first_seq, s2.records.end_seq]).toEqual([0, 3, 3, 5]);
    expect(s2.merkle.root_before).toBe(s1.merkle.root_after);
    expect(s2.buffer.truncated).toBe(false);
    expect(await verify(two, one)).toMatchObject({ ok: true, previous_bundle_id: one.id });
    // Nothing new since: nothing to seal.
    expect(await (await getWithKey("/v1/assets/fw/evidence?since=continue", key)).json()).toMatchObject({ ok: true, line_count: 0 });
  });

  it("with since=continue after lines were evicted, says so and the chain shows the gap", async () => {
    const key = await tenantWithKey("ev-continue-gap", { ring_buffer: { max_lines: 2 } });
    await ingest(key, "fw", 0, 2);
    const one = await sealAndDownload(key, "fw", "continue");
    await ingest(key, "fw", 2, 3);
    const two = await sealAndDownload(key, "fw", "continue");
    expect(statementOf(two.statement).predicate.buffer.truncated).toBe(true);
    expect(await verify(two, one)).toMatchObject({ ok: false, code: "chain_gap" });
  });

  it("starts a window mid-log with a frontier that proves what came before", async () => {
    const key = await tenantWithKey("ev-window", { ring_buffer: { max_lines: 4 } });
    await ingest(key, "fw", 0, 3);
    await ingest(key, "fw", 3, 4);
    const b = await sealAndDownload(key, "fw");
    const st = statementOf(b.statement);
    expect(st.predicate.records).toMatchObject({ first_seq: 3, end_seq: 7 });
    expect(st.predicate.merkle.tree_size_before).toBe(3);
    expect(st.predicate.merkle.frontier_before).toHaveLength(2);
    expect(st.predicate.buffer).toEqual({ oldest_seq_available: 3, truncated: true, evicted_total: 3 });
    const report = await verify(b);
    expect(report).toMatchObject({ ok: true });
    expect(report.warnings).toEqual([expect.stringMatching(/truncated/)]);
  });

  it("lists an asset's bundles newest first, in pages", async () => {
    const key = await tenantWithKey("ev-list");
    for (let i = 0; i < 3; i++) {
      await ingest(key, "fw", i, 1);
      await sealAndDownload(key, "fw");
    }
    const first = (await (await getWithKey("/v1/assets/fw/bundles?limit=2", key)).json()) as any;
    expect(first.bundles).toHaveLength(2);
    expect(first.bundles[0].end_seq).toBe(3);
    expect(first.bundles[0].download["statement.dsse.json"]).toBe(`/v1/bundles/${first.bundles[0].id}/statement.dsse.json`);
    const second = (await (await getWithKey(`/v1/assets/fw/bundles?limit=2&cursor=${first.next_cursor}`, key)).json()) as any;
    expect(second.bundles.map((b: any) => b.end_seq)).toEqual([1]);
    expect(second.next_cursor).toBeNull();
    expect((await getWithKey("/v1/assets/fw/bundles?limit=0", key)).status).toBe(400);
    expect((await getWithKey("/v1/assets/fw/bundles?cursor=x", key)).status).toBe(400);
  });

  it("downloads only the caller's tenant's bundles", async () => {
    const keyA = await tenantWithKey("ev-dl-a");
    const keyB = await tenantWithKey("ev-dl-b");
    await ingest(keyA, "fw", 0, 1);
    const a = await sealAndDownload(keyA, "fw");
    expect((await getWithKey(`/v1/bundles/${a.id}/records.jsonl.gz`, keyB)).status).toBe(404);
    expect((await getWithKey(`/v1/bundles/${a.id}/secrets.txt`, keyA)).status).toBe(404);
    expect((await getWithKey(`/v1/bundles/../records.jsonl.gz`, keyA)).status).toBe(404);
  });
});

describe("tamper suite: the verifier rejects", () => {
  async function bundle(tenant: string): Promise<Downloaded> {
    const key = await tenantWithKey(tenant);
    await ingest(key, "fw", 0, 6);
    return sealAndDownload(key, "fw");
  }

  it("a flipped byte in the gz", async () => {
    const b = await bundle("tamper-byte");
    const records = b.records.slice();
    records[Math.floor(records.length / 2)]! ^= 0x01;
    expect(await verify({ ...b, records })).toMatchObject({ ok: false, code: "digest_mismatch" });
  });

  it("edited lines re-gzipped without re-signing", async () => {
    const b = await bundle("tamper-regzip");
    const text = await gunzipText(b.records);
    const records = await gzip(text.replace('"n":2', '"n":200'));
    expect(await verify({ ...b, records })).toMatchObject({ ok: false, code: "digest_mismatch" });
  });

  it("a dropped, inserted, swapped or edited line, even with digests fixed and re-signed", async () => {
    const b = await bundle("tamper-lines");
    const dropped = await rewriteLines(b, (l) => [...l.slice(0, 2), ...l.slice(3)]);
    expect(await verify(dropped)).toMatchObject({ ok: false, code: "count_mismatch" });
    const inserted = await rewriteLines(b, (l) => [...l.slice(0, 3), l[2]!, ...l.slice(3)]);
    expect(await verify(inserted)).toMatchObject({ ok: false, code: "count_mismatch" });
    const swapped = await rewriteLines(b, (l) => [l[1]!, l[0]!, ...l.slice(2)]);
    expect(await verify(swapped)).toMatchObject({ ok: false, code: "sequence_mismatch" });
    const edited = await rewriteLines(b, (l) => l.map((x, i) => (i === 4 ? x.replace('"action":"BLOCK"', '"action":"ALLOW"') : x)));
    expect(await verify(edited)).toMatchObject({ ok: false, code: "merkle_mismatch" });
    // The last line dropped with count, range and tree size rewritten too: root_after still gives it away.
    const fixedCount = await rewriteLines(b, (l) => l.slice(0, 5));
    const st = statementOf(fixedCount.statement);
    st.predicate.records.count = 5;
    st.predicate.records.end_seq = 5;
    st.predicate.merkle.tree_size_after = 5;
    fixedCount.statement = await resign(st);
    expect(await verify(fixedCount)).toMatchObject({ ok: false, code: "merkle_mismatch" });
  });

  it("a truncated tail", async () => {
    const b = await bundle("tamper-tail");
    expect(await verify({ ...b, records: b.records.slice(0, b.records.length - 10) })).toMatchObject({ ok: false, code: "digest_mismatch" });
    const cut = await rewriteLines(b, (l) => l.slice(0, 4));
    expect(await verify(cut)).toMatchObject({ ok: false, code: "count_mismatch" });
  });

  it("an edited predicate without re-signing", async () => {
    const b = await bundle("tamper-predicate");
    const env = JSON.parse(b.statement);
    const st = statementOf(b.statement);
    st.predicate.records.count = 1;
    env.payload = btoa(JSON.stringify(st));
    expect(await verify({ ...b, statement: JSON.stringify(env) })).toMatchObject({ ok: false, code: "bad_signature" });
  });

  it("a signature by an unknown key", async () => {
    const b = await bundle("tamper-key");
    const stranger = JSON.stringify({ keys: [await generateSigningKey()] });
    expect(await verify({ ...b, statement: await resign(statementOf(b.statement), stranger) })).toMatchObject({ ok: false, code: "unknown_key" });
  });

  it("a wrong payloadType", async () => {
    const b = await bundle("tamper-type");
    const env = JSON.parse(b.statement);
    env.payloadType = "application/json";
    expect(await verify({ ...b, statement: JSON.stringify(env) })).toMatchObject({ ok: false, code: "bad_payload_type" });
  });

  it("a previous bundle that does not chain", async () => {
    const keyA = await tenantWithKey("tamper-chain");
    await ingest(keyA, "fw", 0, 2);
    const one = await sealAndDownload(keyA, "fw");
    await ingest(keyA, "fw", 2, 2);
    const two = await sealAndDownload(keyA, "fw");
    await ingest(keyA, "fw", 4, 2);
    const three = await sealAndDownload(keyA, "fw");
    // three names two as previous, not one.
    expect(await verify(three, one)).toMatchObject({ ok: false, code: "chain_break" });
    expect(await verify(three, two)).toMatchObject({ ok: true });
    // Another asset's bundle is never a predecessor.
    await ingest(keyA, "other", 0, 2);
    const other = await sealAndDownload(keyA, "other");
    expect(await verify(two, other)).toMatchObject({ ok: false, code: "chain_break" });
  });

  it("a signed line that is not an event, with its own code rather than a crash", async () => {
    const b = await bundle("tamper-null");
    const nulled = await rewriteLines(b, (l) => l.map((x, i) => (i === 1 ? "null" : x)));
    expect(await verify(nulled)).toMatchObject({ ok: false, code: "sequence_mismatch" });
  });

  it("and accepts the untouched bundle", async () => {
    const b = await bundle("tamper-none");
    expect(await verify(b)).toMatchObject({ ok: true, code: "ok", warnings: [] });
  });
});
