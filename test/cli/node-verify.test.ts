/** The CLI's faster verification path (shared/evidence/node-verify.ts) gives the portable path's answers. */
import { describe, expect, it } from "vitest";
import { leafHashes, leafHashesOnThread, nodeVerifyOptions, oneShotHasher } from "../../shared/evidence/node-verify.ts";
import { CompactRange, nobleHasher } from "../../shared/evidence/merkle.ts";
import { verifyBundle } from "../../shared/evidence/verify.ts";
import { toHex } from "../../shared/hex.ts";
import { syntheticBundle } from "../support/synthetic-bundle.ts";

const enc = new TextEncoder();

function linesOf(jsonl: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0, nl = jsonl.indexOf(0x0a); nl !== -1; at = nl + 1, nl = jsonl.indexOf(0x0a, at)) out.push(jsonl.subarray(at, nl));
  return out;
}

describe("node verification path", () => {
  it("hashes leaves and nodes exactly as RFC 6962 (noble), for empty, non-ASCII and long lines", () => {
    const text = ["", "{}", '{"msg":"naïve café ✓ 日本 🔥"}', "x".repeat(100_000), "\u0000"].join("\n") + "\n";
    // A view into a larger buffer: offsets must be taken relative to it.
    const backing = new Uint8Array(enc.encode("PAD" + text));
    const jsonl = backing.subarray(3);
    const lines = linesOf(jsonl);
    expect(lines).toHaveLength(5);
    const fast = leafHashes(jsonl, lines).map((h) => toHex(h));
    expect(fast).toEqual(lines.map((l) => toHex(nobleHasher.leaf(l))));
    for (const l of lines) expect(toHex(oneShotHasher.leaf(l))).toBe(toHex(nobleHasher.leaf(l)));
    const a = nobleHasher.leaf(lines[1]!), b = nobleHasher.leaf(lines[2]!);
    expect(toHex(oneShotHasher.node(a, b))).toBe(toHex(nobleHasher.node(a, b)));
    // The original text is left as it was (the copy gets the 0x00 prefixes).
    expect(new TextDecoder().decode(jsonl)).toBe(text);
  });

  it("the thread computes the same leaves as the caller's thread, and the same root", async () => {
    const bundle = await syntheticBundle(25_000, (seq) => JSON.stringify({ seq, note: seq % 7 === 0 ? "ünïcode" : "ascii" }));
    const lines = linesOf(bundle.jsonl);
    const onThread = await leafHashesOnThread(bundle.jsonl, lines);
    const here = leafHashes(bundle.jsonl, lines);
    expect(onThread.length).toBe(25_000);
    for (const i of [0, 1, 12_345, 24_999]) expect(toHex(onThread[i]!)).toBe(toHex(here[i]!));
    const t1 = new CompactRange(0, [], oneShotHasher);
    const t2 = new CompactRange(0, [], nobleHasher);
    onThread.forEach((h) => t1.appendLeafHash(h));
    lines.forEach((l) => t2.append(l));
    expect(toHex(t1.root())).toBe(toHex(t2.root()));
  });

  it("verifyBundle with the node options accepts an untouched bundle and catches an edited line the digests do not", async () => {
    const record = (seq: number) => JSON.stringify({ seq, msg: "event" });
    const good = await syntheticBundle(25_000, record);
    const ok = await verifyBundle({ records: good.records, statement: good.statement }, { jwks: good.jwks, ...nodeVerifyOptions() });
    expect(ok).toMatchObject({ ok: true, code: "ok" });
    const edited = await syntheticBundle(25_000, record, (seq, line) => (seq === 20_000 ? line.replace('"event"', '"EVENT"') : line));
    const bad = await verifyBundle({ records: edited.records, statement: edited.statement }, { jwks: edited.jwks, ...nodeVerifyOptions() });
    expect(bad).toMatchObject({ ok: false, code: "merkle_mismatch" });
    const portable = await verifyBundle({ records: edited.records, statement: edited.statement }, { jwks: edited.jwks });
    expect(portable.code).toBe("merkle_mismatch");
  });
});
