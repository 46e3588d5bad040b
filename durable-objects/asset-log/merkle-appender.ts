/**
 * The isolate's Merkle appender (shared/evidence/merkle-wasm.ts): workerd compiles the .wasm
 * at load (it allows no compiling at run time). One instance serves every object of the
 * isolate: each append uses it synchronously, start to end, so calls never interleave.
 */
import merkleWasm from "../../shared/evidence/wasm/merkle-sha256.wasm";
import { MerkleAppender } from "../../shared/evidence/merkle-wasm.ts";

export const merkleAppender = new MerkleAppender(merkleWasm);
