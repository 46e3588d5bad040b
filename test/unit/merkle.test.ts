/** RFC 6962 test vectors (transparency-dev/merkle testonly and proof tests). */
import { describe, expect, it } from "vitest";
import {
  CompactRange, EMPTY_ROOT, consistencyProof, inclusionProof, leafHash, rootOf, verifyConsistency, verifyInclusion,
} from "../../shared/evidence/merkle.ts";
import { nodeHasher } from "../../shared/evidence/node-hasher.ts";
import { toHex } from "../../shared/hex.ts";

const hex = (s: string) => new Uint8Array(s.match(/../g)?.map((b) => parseInt(b, 16)) ?? []);
const LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map(hex);
const ROOTS = [
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];
// Compact ranges after each size (node hashes from the same vectors).
const COMPACT = [
  [],
  ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"],
  ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
  ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125", "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"],
  ["d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
  ["d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],
  ["d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7", "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"],
  ["d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7", "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"],
  ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
];
// [leaf (1-based, as published), tree size, proof]
const INCLUSION: [number, number, string[]][] = [
  [1, 1, []],
  [1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]],
  [6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]],
  [3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]],
  [2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]],
];
const CONSISTENCY: [number, number, string[]][] = [
  [1, 1, []],
  [1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]],
  [6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]],
  [2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]],
  [6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]],
];
const leafHashes = LEAVES.map((l) => leafHash(l));

describe("RFC 6962 Merkle tree", () => {
  it("reproduces the eight published roots (and the empty root) by appending to a compact range", () => {
    const range = new CompactRange();
    expect(toHex(range.root())).toBe(ROOTS[0]);
    expect(toHex(EMPTY_ROOT)).toBe(ROOTS[0]);
    LEAVES.forEach((leaf, i) => {
      range.append(leaf);
      expect(range.size).toBe(i + 1);
      expect(toHex(range.root())).toBe(ROOTS[i + 1]);
      expect(range.hashes.map(toHex)).toEqual(COMPACT[i + 1]);
      expect(toHex(rootOf(leafHashes.slice(0, i + 1)))).toBe(ROOTS[i + 1]);
    });
  });

  it("gives the same roots with the native node:crypto hasher", () => {
    const range = new CompactRange(0, [], nodeHasher);
    LEAVES.forEach((leaf, i) => {
      range.append(leaf);
      expect(toHex(range.root())).toBe(ROOTS[i + 1]);
    });
  });

  it("round-trips a frontier through its stored encoding, and rejects a wrong hash count", () => {
    const range = new CompactRange();
    LEAVES.slice(0, 7).forEach((l) => range.append(l));
    const back = CompactRange.decode(7, range.encode());
    expect(toHex(back.root())).toBe(ROOTS[7]);
    back.append(LEAVES[7]!);
    expect(toHex(back.root())).toBe(ROOTS[8]);
    expect(() => CompactRange.decode(6, range.encode())).toThrow(RangeError);
  });

  it("produces and verifies the published inclusion proofs; corrupted ones fail", () => {
    for (const [leaf, size, proof] of INCLUSION) {
      const got = inclusionProof(leafHashes.slice(0, size), leaf - 1);
      expect(got.map(toHex)).toEqual(proof);
      const root = hex(ROOTS[size]!);
      expect(verifyInclusion(leaf - 1, size, leafHashes[leaf - 1]!, got, root)).toBe(true);
      expect(verifyInclusion(leaf, size, leafHashes[leaf - 1]!, got, root)).toBe(false);
      expect(verifyInclusion(leaf - 1, size * 2, leafHashes[leaf - 1]!, got, root)).toBe(false);
      expect(verifyInclusion(leaf - 1, size, leafHashes[leaf - 1]!, [...got, root], root)).toBe(false);
      got.forEach((_, i) => {
        const bad = got.map((h, j) => (j === i ? h.map((b, k) => (k === 0 ? b ^ 8 : b)) : h));
        expect(verifyInclusion(leaf - 1, size, leafHashes[leaf - 1]!, bad, root)).toBe(false);
      });
    }
  });

  it("produces and verifies the published consistency proofs; corrupted ones fail", () => {
    for (const [size1, size2, proof] of CONSISTENCY) {
      const got = consistencyProof(leafHashes.slice(0, size2), size1);
      expect(got.map(toHex)).toEqual(proof);
      const [r1, r2] = [hex(ROOTS[size1]!), hex(ROOTS[size2]!)];
      expect(verifyConsistency(size1, size2, r1, r2, got)).toBe(true);
      if (!got.length) continue;
      expect(verifyConsistency(size1, size2, r2, r1, got)).toBe(false);
      expect(verifyConsistency(size1 + 1, size2, r1, r2, got)).toBe(false);
      expect(verifyConsistency(size1, size2, r1, r2, got.slice(0, -1))).toBe(false);
      expect(verifyConsistency(size1, size2, r1, r2, [...got, r1])).toBe(false);
    }
  });
});
