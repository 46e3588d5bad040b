/**
 * What the CLI (plain Node) gives `verifyBundle` to go faster than the portable defaults:
 * node:zlib gunzip, and Merkle hashing with node:crypto's one-shot `hash` over buffers laid
 * out so no per-hash copy or hasher object is needed (docs/performance.md has the figures).
 * Node only: browsers and workerd use the defaults.
 */
import { hash } from "node:crypto";
import { Worker } from "node:worker_threads";
import { gunzipSync } from "node:zlib";
import type { MerkleHasher } from "./merkle.ts";
import type { VerifyOptions } from "./verify.ts";

const nodeBuf = Buffer.alloc(65);
nodeBuf[0] = 1;
const leafBuf = { bytes: Buffer.alloc(0) };

/** RFC 6962 hashing with one native call per hash: node = H(0x01 || l || r) from a reused buffer. */
export const oneShotHasher: MerkleHasher = {
  leaf: (data) => {
    if (leafBuf.bytes.byteLength < data.byteLength + 1) leafBuf.bytes = Buffer.alloc(Math.max(data.byteLength + 1, 2 * leafBuf.bytes.byteLength));
    leafBuf.bytes[0] = 0;
    leafBuf.bytes.set(data, 1);
    return hash("sha256", leafBuf.bytes.subarray(0, data.byteLength + 1), "buffer");
  },
  node: (left, right) => {
    nodeBuf.set(left, 1);
    nodeBuf.set(right, 33);
    return hash("sha256", nodeBuf, "buffer");
  },
};

/**
 * Leaf hashes of every line of a JSONL buffer (lines are subarrays of `jsonl`, newline excluded):
 * one copy of the whole text with a 0x00 in front of each line (where the previous newline was),
 * then one native hash per line over a view of it.
 */
export function leafHashes(jsonl: Uint8Array, lines: readonly Uint8Array[]): Uint8Array[] {
  const prefixed = Buffer.allocUnsafe(jsonl.byteLength + 1);
  prefixed.set(jsonl, 1);
  const out = new Array<Uint8Array>(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const at = line.byteOffset - jsonl.byteOffset;
    prefixed[at] = 0;
    out[i] = hash("sha256", prefixed.subarray(at, at + line.byteLength + 1), "buffer");
  }
  return out;
}

/** Below this many lines a thread's start-up (~20-40 ms) costs more than it saves. */
const THREAD_MIN_LINES = 20_000;

// The thread's code: hash each line of the shared text (a 0x00 written before each) into `out`.
const LEAF_THREAD = `
const { workerData, parentPort } = require("node:worker_threads");
const { hash } = require("node:crypto");
const { text, spans, out } = workerData;
const t = Buffer.from(text);
const s = new Int32Array(spans);
const o = new Uint8Array(out);
for (let i = 0; i < s.length / 2; i++) {
  const at = s[2 * i], len = s[2 * i + 1];
  t[at] = 0;
  o.set(hash("sha256", t.subarray(at, at + len + 1), "buffer"), 32 * i);
}
parentPort.postMessage(true);
`;

/**
 * The same leaf hashes, computed on a worker thread over a shared copy of the text, so the caller's
 * thread checks the lines meanwhile (verifyBundle does). Small inputs stay on this thread.
 */
export async function leafHashesOnThread(jsonl: Uint8Array, lines: readonly Uint8Array[]): Promise<Uint8Array[]> {
  if (lines.length < THREAD_MIN_LINES) return leafHashes(jsonl, lines);
  const text = new SharedArrayBuffer(jsonl.byteLength + 1);
  new Uint8Array(text).set(jsonl, 1);
  const spans = new SharedArrayBuffer(8 * lines.length);
  const s = new Int32Array(spans);
  lines.forEach((line, i) => {
    s[2 * i] = line.byteOffset - jsonl.byteOffset;
    s[2 * i + 1] = line.byteLength;
  });
  const out = new SharedArrayBuffer(32 * lines.length);
  await new Promise<void>((resolve, reject) => {
    const worker = new Worker(LEAF_THREAD, { eval: true, workerData: { text, spans, out } });
    worker.once("message", () => resolve());
    worker.once("error", reject);
    worker.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`leaf hashing thread exited with ${code}`))));
  });
  const all = new Uint8Array(out);
  return Array.from({ length: lines.length }, (_, i) => all.subarray(32 * i, 32 * i + 32));
}

export function nodeVerifyOptions(): Required<Pick<VerifyOptions, "hasher" | "gunzip" | "leafHashes">> {
  return { hasher: oneShotHasher, gunzip: async (gz) => new Uint8Array(gunzipSync(gz)), leafHashes: leafHashesOnThread };
}
