/**
 * RFC 6962 / RFC 9162 Merkle tree hashing over SHA-256: leaf = H(0x00 || data),
 * node = H(0x01 || left || right). The log keeps a compact range ("frontier"):
 * the roots of the perfect subtrees that make up a tree of `size` leaves, largest
 * first, one per set bit of `size`. Pure; runs in workerd, Node and browsers.
 *
 * The hash is pluggable: `nobleHasher` (pure JS) runs anywhere; `nodeHasher`
 * (node:crypto, native, in ./node-hasher.ts) is about 1.8x faster per line in Node and
 * is what the AssetLog DO and the CLI use (docs/performance.md has the figures).
 */
import { sha256 } from "@noble/hashes/sha2.js";

export const HASH_BYTES = 32;
const LEAF_PREFIX = new Uint8Array([0]);
const NODE_PREFIX = new Uint8Array([1]);

export interface MerkleHasher {
  leaf(data: Uint8Array): Uint8Array;
  node(left: Uint8Array, right: Uint8Array): Uint8Array;
}

export const nobleHasher: MerkleHasher = {
  leaf: (data) => sha256.create().update(LEAF_PREFIX).update(data).digest(),
  node: (left, right) => sha256.create().update(NODE_PREFIX).update(left).update(right).digest(),
};

export const leafHash = (data: Uint8Array, hasher: MerkleHasher = nobleHasher): Uint8Array => hasher.leaf(data);
export const nodeHash = (left: Uint8Array, right: Uint8Array, hasher: MerkleHasher = nobleHasher): Uint8Array => hasher.node(left, right);

/** Root of the empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array());

function popcount(n: number): number {
  let c = 0;
  for (let x = n; x > 0; x = Math.floor(x / 2)) c += x % 2;
  return c;
}

/** A tree of `size` leaves, summarised by its frontier. */
export class CompactRange {
  size: number;
  /** Subtree roots, largest (leftmost) first. */
  hashes: Uint8Array[];

  readonly #hasher: MerkleHasher;

  constructor(size = 0, hashes: Uint8Array[] = [], hasher: MerkleHasher = nobleHasher) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError("tree size must be a non-negative integer");
    if (hashes.length !== popcount(size)) throw new RangeError(`a frontier of a ${size}-leaf tree has ${popcount(size)} hashes, not ${hashes.length}`);
    for (const h of hashes) if (h.byteLength !== HASH_BYTES) throw new RangeError("frontier hashes are 32 bytes");
    this.size = size;
    this.hashes = hashes;
    this.#hasher = hasher;
  }

  clone(): CompactRange {
    return new CompactRange(this.size, [...this.hashes], this.#hasher);
  }

  /** Append one leaf hash (index = current size). */
  appendLeafHash(leaf: Uint8Array): void {
    let h = leaf;
    // Each trailing 1-bit of the old size is a subtree of equal height that merges with the new one.
    for (let s = this.size; s % 2 === 1; s = (s - 1) / 2) h = this.#hasher.node(this.hashes.pop()!, h);
    this.hashes.push(h);
    this.size++;
  }

  append(data: Uint8Array): void {
    this.appendLeafHash(this.#hasher.leaf(data));
  }

  /** The tree's root hash. */
  root(): Uint8Array {
    if (this.hashes.length === 0) return EMPTY_ROOT;
    let h = this.hashes[this.hashes.length - 1]!;
    for (let i = this.hashes.length - 2; i >= 0; i--) h = this.#hasher.node(this.hashes[i]!, h);
    return h;
  }

  /** Frontier as one byte string (32 bytes per hash), for storage. */
  encode(): Uint8Array {
    const out = new Uint8Array(this.hashes.length * HASH_BYTES);
    this.hashes.forEach((h, i) => out.set(h, i * HASH_BYTES));
    return out;
  }

  static decode(size: number, bytes: Uint8Array, hasher: MerkleHasher = nobleHasher): CompactRange {
    if (bytes.byteLength % HASH_BYTES !== 0) throw new RangeError("a stored frontier is a multiple of 32 bytes");
    const hashes: Uint8Array[] = [];
    for (let off = 0; off < bytes.byteLength; off += HASH_BYTES) hashes.push(bytes.slice(off, off + HASH_BYTES));
    return new CompactRange(size, hashes, hasher);
  }
}

/** Root of a list of leaf hashes (MTH of RFC 6962 section 2.1), by recursion on powers of two. */
export function rootOf(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0]!;
  const k = largestPowerOfTwoBelow(leaves.length);
  return nodeHash(rootOf(leaves.slice(0, k)), rootOf(leaves.slice(k)));
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Audit path for leaf `index` (RFC 6962 section 2.1.1 PATH). */
export function inclusionProof(leaves: Uint8Array[], index: number): Uint8Array[] {
  if (index < 0 || index >= leaves.length) throw new RangeError("leaf index out of range");
  if (leaves.length === 1) return [];
  const k = largestPowerOfTwoBelow(leaves.length);
  return index < k
    ? [...inclusionProof(leaves.slice(0, k), index), rootOf(leaves.slice(k))]
    : [...inclusionProof(leaves.slice(k), index - k), rootOf(leaves.slice(0, k))];
}

/** Consistency proof from the first `m` leaves to all of them (RFC 6962 section 2.1.2 PROOF). */
export function consistencyProof(leaves: Uint8Array[], m: number): Uint8Array[] {
  if (m < 1 || m > leaves.length) throw new RangeError("old size out of range");
  const sub = (m: number, d: Uint8Array[], whole: boolean): Uint8Array[] => {
    if (m === d.length) return whole ? [] : [rootOf(d)];
    const k = largestPowerOfTwoBelow(d.length);
    return m <= k ? [...sub(m, d.slice(0, k), whole), rootOf(d.slice(k))] : [...sub(m - k, d.slice(k), false), rootOf(d.slice(0, k))];
  };
  return sub(m, leaves, true);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Verify an inclusion proof (RFC 9162 section 2.1.3.2). */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: Uint8Array[], root: Uint8Array): boolean {
  if (index >= size || index < 0) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0 || p.byteLength !== HASH_BYTES) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

/** Verify a consistency proof between two tree heads (RFC 9162 section 2.1.4.2). */
export function verifyConsistency(size1: number, size2: number, root1: Uint8Array, root2: Uint8Array, proof: Uint8Array[]): boolean {
  if (size1 > size2 || size1 < 0) return false;
  if (size1 === size2) return proof.length === 0 && equal(root1, root2);
  if (size1 === 0) return proof.length === 0;
  if (proof.length === 0 || proof.some((p) => p.byteLength !== HASH_BYTES)) return false;
  const path = (size1 & (size1 - 1)) === 0 ? [root1, ...proof] : proof;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(fr, root1) && equal(sr, root2);
}
