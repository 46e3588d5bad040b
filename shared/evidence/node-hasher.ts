/**
 * Merkle hashing on node:crypto: native SHA-256, synchronous, available in Node and
 * in workerd with nodejs_compat. For 200,000 lines of 250 B: 275 ms against 500 ms for
 * @noble/hashes in plain Node 22 (docs/performance.md).
 */
import { createHash } from "node:crypto";
import type { MerkleHasher } from "./merkle.ts";

const LEAF_PREFIX = new Uint8Array([0]);
const NODE_PREFIX = new Uint8Array([1]);

export const nodeHasher: MerkleHasher = {
  leaf: (data) => new Uint8Array(createHash("sha256").update(LEAF_PREFIX).update(data).digest()),
  node: (left, right) => new Uint8Array(createHash("sha256").update(NODE_PREFIX).update(left).update(right).digest()),
};
