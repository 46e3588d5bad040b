/**
 * The WASM appender (shared/evidence/merkle-wasm.ts) against the reference CompactRange on
 * node:crypto and on @noble/hashes: same leaves, same frontiers, byte for byte, and chunks cut
 * where the per-line rule cut them.
 */
import { describe, expect, it } from "vitest";
import merkleWasm from "../../shared/evidence/wasm/merkle-sha256.wasm";
import { CompactRange, nobleHasher, type MerkleHasher } from "../../shared/evidence/merkle.ts";
import { MerkleAppender, type AppendedChunk } from "../../shared/evidence/merkle-wasm.ts";
import { nodeHasher } from "../../shared/evidence/node-hasher.ts";
import { toHex } from "../../shared/hex.ts";

const enc = new TextEncoder();
const appender = new MerkleAppender(merkleWasm);

/** Lines of every shape the log stores: empty, ASCII, 2/3/4-byte UTF-8, a lone surrogate, block-boundary lengths. */
function sampleLines(n: number): string[] {
  const shapes = ["", "x", "é", "€", "😀", "\ud800", "a\udc00b", '{"k":"v"}', "\u2028"];
  return Array.from({ length: n }, (_, i) => {
    if (i < shapes.length) return shapes[i]!;
    // 54..56 and 118..120 bytes with the 0x00 prefix straddle SHA-256's one/two padding-block limits.
    const len = [54, 55, 56, 63, 64, 118, 119, 120, 300][i % 9]! + (i % 5);
    return JSON.stringify({ i, s: "é€😀".repeat(i % 4) }).padEnd(len, "y");
  });
}

/** What the per-line path gives: each leaf appended in turn, chunks cut before a line that would exceed maxBytes. */
function reference(start: CompactRange, lines: string[], maxBytes: number, hasher: MerkleHasher) {
  const range = start.clone();
  const chunks: Omit<AppendedChunk, "frontierBefore">[] = [];
  const befores: string[] = [];
  let from = 0;
  let bytes = 0;
  lines.forEach((line, i) => {
    const b = enc.encode(line);
    if (bytes + b.byteLength + 1 > maxBytes && i > from) {
      chunks.push({ text: lines.slice(from, i).map((l) => l + "\n").join(""), from, to: i, bytes });
      from = i;
      bytes = 0;
    }
    if (i === from) befores.push(toHex(range.encode()));
    range.appendLeafHash(hasher.leaf(b));
    bytes += b.byteLength + 1;
  });
  chunks.push({ text: lines.slice(from).map((l) => l + "\n").join(""), from, to: lines.length, bytes });
  return { range, chunks, befores };
}

function viaWasm(start: CompactRange, lines: string[], maxBytes: number) {
  const range = start.clone();
  const chunks: AppendedChunk[] = [];
  appender.appendLines(range, lines, maxBytes, (c) => chunks.push(c));
  return { range, chunks: chunks.map(({ frontierBefore: _f, ...c }) => c), befores: chunks.map((c) => toHex(c.frontierBefore)) };
}

const frontierOf = (r: CompactRange) => ({ size: r.size, hashes: r.hashes.map(toHex) });

describe("MerkleAppender (WASM SHA-256)", () => {
  it("gives the frontiers of node:crypto and noble, from any starting size", () => {
    const lines = sampleLines(1100);
    for (const startSize of [0, 1, 2, 3, 7, 8, 255, 256, 1000]) {
      const start = new CompactRange(0, [], nodeHasher);
      for (const l of sampleLines(startSize)) start.append(enc.encode(l + "!"));
      for (const n of [1, 2, 5, 64, 300, 1100]) {
        const got = viaWasm(start, lines.slice(0, n), 1 << 20);
        expect(frontierOf(got.range)).toEqual(frontierOf(reference(start, lines.slice(0, n), 1 << 20, nodeHasher).range));
        expect(frontierOf(got.range)).toEqual(frontierOf(reference(start, lines.slice(0, n), 1 << 20, nobleHasher).range));
        expect(toHex(got.range.root())).toBe(toHex(reference(start, lines.slice(0, n), 1 << 20, nobleHasher).range.root()));
      }
    }
  });

  it("matches RFC 6962 roots: the empty line's leaf is SHA-256(0x00)", () => {
    const range = new CompactRange(0, [], nodeHasher);
    appender.appendLines(range, [""], 1024, () => {});
    // transparency-dev test vector: leaf hash of empty input.
    expect(toHex(range.root())).toBe("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  });

  it("cuts chunks as the per-line rule does, with each chunk's frontier, bytes and text", () => {
    const lines = sampleLines(120);
    const start = new CompactRange(0, [], nodeHasher);
    start.append(enc.encode("first"));
    for (const maxBytes of [1, 60, 200, 1000, 4096, 1 << 20, Infinity]) {
      const got = viaWasm(start, lines, maxBytes);
      const want = reference(start, lines, maxBytes, nodeHasher);
      expect(got.chunks).toEqual(want.chunks);
      expect(got.befores).toEqual(want.befores);
      expect(frontierOf(got.range)).toEqual(frontierOf(want.range));
    }
  });

  it("takes a line longer than its window, and a window that ends inside a character", () => {
    const long = "€".repeat(5000);
    const lines = ["a", long, "b", "😀".repeat(3000), "c"];
    const start = new CompactRange(0, [], nodeHasher);
    for (const maxBytes of [10, 4000, 9000]) {
      const got = viaWasm(start, lines, maxBytes);
      const want = reference(start, lines, maxBytes, nodeHasher);
      expect(got.chunks).toEqual(want.chunks);
      expect(frontierOf(got.range)).toEqual(frontierOf(want.range));
    }
  });

  it("refuses a line with a newline in it (a stored line never has one)", () => {
    const range = new CompactRange(0, [], nodeHasher);
    expect(() => appender.appendLines(range, ["a", "b\nc", "d"], 1 << 20, () => {})).toThrow(/newline/);
    expect(range.size).toBe(0);
  });
});
