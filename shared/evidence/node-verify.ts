/**
 * What the CLI (plain Node) gives `verifyBundle` to go faster than the portable defaults:
 * node:zlib gunzip, and the Merkle tree through the WASM appender (merkle-sha256.wasm: leaves
 * four at a time with SIMD, one call per 16 MiB of lines) instead of two hash calls per line.
 * Node only: the dashboard verifies with the portable defaults (docs/performance.md has figures).
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { MerkleAppender } from "./merkle-wasm.ts";
import { nodeHasher } from "./node-hasher.ts";
import type { VerifyOptions } from "./verify.ts";

// Node compiles the module from the file (workerd imports .wasm as a module instead); the cast is
// for the Workers types this shared folder is also checked against, where Module is abstract.
const WasmModule = WebAssembly.Module as unknown as new (bytes: Uint8Array) => WebAssembly.Module;
let appender: MerkleAppender | undefined;

function wasmAppender(): MerkleAppender {
  appender ??= new MerkleAppender(new WasmModule(readFileSync(new URL("./wasm/merkle-sha256.wasm", import.meta.url))));
  return appender;
}

export function nodeVerifyOptions(): Required<Pick<VerifyOptions, "hasher" | "gunzip" | "appendLines">> {
  return {
    hasher: nodeHasher,
    gunzip: async (gz) => new Uint8Array(gunzipSync(gz)),
    appendLines: (tree, text) => wasmAppender().appendUtf8(tree, text),
  };
}
