/** The CLI's faster verification path (shared/evidence/node-verify.ts) gives the portable path's answers. */
import { describe, expect, it } from "vitest";
import { nodeVerifyOptions } from "../../shared/evidence/node-verify.ts";
import { CompactRange, nobleHasher } from "../../shared/evidence/merkle.ts";
import { verifyBundle } from "../../shared/evidence/verify.ts";
import { toHex } from "../../shared/hex.ts";
import { generateSigningKey } from "../../shared/evidence/signing-keys.ts";
import { syntheticBundle } from "../support/synthetic-bundle.ts";

const enc = new TextEncoder();

describe("node verification path", () => {
  it("appends lines exactly as RFC 6962 per-line hashing does, from any starting size, for empty, non-ASCII and long lines", () => {
    const lines = ["", "{}", '{"msg":"naïve café ✓ 日本 🔥"}', "x".repeat(100_000), "\u0000", "y".repeat(55), "z".repeat(56)];
    // A view into a larger buffer, as a line range of a bundle is.
    const backing = enc.encode("PAD" + lines.join("\n") + "\n");
    const text = backing.subarray(3);
    for (const start of [0, 1, 5, 8]) {
      const seed = new CompactRange(0, [], nobleHasher);
      for (let i = 0; i < start; i++) seed.append(enc.encode(`seed ${i}`));
      const fast = seed.clone();
      nodeVerifyOptions().appendLines(fast, text);
      const slow = seed.clone();
      for (const l of lines) slow.append(enc.encode(l));
      expect(fast.size).toBe(start + lines.length);
      expect(toHex(fast.root())).toBe(toHex(slow.root()));
    }
    expect(() => nodeVerifyOptions().appendLines(new CompactRange(0, [], nobleHasher), enc.encode("no newline"))).toThrow(/newline/);
  });

  it("past the 16 MiB slice: the same root as per-line hashing", () => {
    const line = "a".repeat(999);
    const n = 20_000; // ~20 MB
    const text = enc.encode((line + "\n").repeat(n));
    const fast = new CompactRange(0, [], nobleHasher);
    nodeVerifyOptions().appendLines(fast, text);
    const slow = new CompactRange(0, [], nodeVerifyOptions().hasher);
    const bytes = enc.encode(line);
    for (let i = 0; i < n; i++) slow.append(bytes);
    expect(toHex(fast.root())).toBe(toHex(slow.root()));
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

  it("checks a previous bundle that ends inside this one at the split, like the portable path", async () => {
    const jwk = await generateSigningKey();
    const rts = Date.now();
    const record = (seq: number) => JSON.stringify({ seq });
    const earlier = await syntheticBundle(300, record, undefined, { rts, jwk, bundleId: "evidence-a" });
    const later = await syntheticBundle(1000, record, undefined, { rts, jwk, bundleId: "evidence-b", previous: earlier });
    // Signed and named as the previous bundle, but of a different log: its root at 300 differs.
    const forked = await syntheticBundle(300, (seq) => JSON.stringify({ seq, other: true }), undefined, { rts, jwk, bundleId: "evidence-a" });
    const laterOfForked = await syntheticBundle(1000, record, undefined, { rts, jwk, bundleId: "evidence-b", previous: forked });
    for (const options of [nodeVerifyOptions(), {}]) {
      const ok = await verifyBundle({ records: later.records, statement: later.statement }, { jwks: later.jwks, previous: { statement: earlier.statement }, ...options });
      expect(ok).toMatchObject({ ok: true });
      expect(ok.checks.at(-1)).toMatch(/^continues /);
      const broken = await verifyBundle({ records: laterOfForked.records, statement: laterOfForked.statement }, { jwks: later.jwks, previous: { statement: forked.statement }, ...options });
      expect(broken.code).toBe("chain_break");
    }
  });
});
