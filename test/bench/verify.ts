/**
 * Offline verification alone, in plain Node, without wrangler: build a signed bundle of N stored
 * lines in memory with the production code (storedLine, CompactRange, JCS statement, DSSE over
 * WebCrypto Ed25519, gzip), then time `verifyBundle` as the CLI calls it (least of --runs), and
 * each of its steps alone. `npm run bench -- --sections evidence` measures the same on a bundle
 * the bridge built; this one is for working on the verifier.
 *
 *   node test/bench/verify.ts [--lines 200000] [--runs 3]
 */
import { parseArgs } from "node:util";
import { CompactRange } from "../../shared/evidence/merkle.ts";
import { nodeVerifyOptions } from "../../shared/evidence/node-verify.ts";
import { verifyBundle } from "../../shared/evidence/verify.ts";
import { syntheticBundle } from "../support/synthetic-bundle.ts";
import { benchRecord } from "./record.ts";

const { values } = parseArgs({ options: { lines: { type: "string", default: "200000" }, runs: { type: "string", default: "3" }, help: { type: "boolean", short: "h" } } });
if (values.help) {
  console.log("node test/bench/verify.ts [--lines N] [--runs N]: time offline verification of an N-line bundle (least of runs)");
  process.exit(0);
}
const N = Number(values.lines);
const RUNS = Number(values.runs);

async function least(runs: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t);
  }
  return best / 1000;
}

const bundle = await syntheticBundle(N, (seq, rts) => JSON.stringify(benchRecord(seq, rts)));
console.log(`bundle: ${N} lines, ${(bundle.jsonl.byteLength / 1e6).toFixed(1)} MB JSONL, ${(bundle.records.byteLength / 1e6).toFixed(2)} MB gz`);
const opts = nodeVerifyOptions();
const report = await verifyBundle({ records: bundle.records, statement: bundle.statement }, { jwks: bundle.jwks, ...opts });
if (!report.ok) throw new Error(`verification failed: ${report.code} ${report.message}`);
const total = await least(RUNS, () => verifyBundle({ records: bundle.records, statement: bundle.statement }, { jwks: bundle.jwks, ...opts }));
const gunzip = await least(RUNS, () => opts.gunzip(bundle.records));
const digests = await least(RUNS, async () => { await crypto.subtle.digest("SHA-256", bundle.records as Uint8Array<ArrayBuffer>); await crypto.subtle.digest("SHA-256", bundle.jsonl as Uint8Array<ArrayBuffer>); });
const merkle = await least(RUNS, () => opts.appendLines(new CompactRange(0, [], opts.hasher), bundle.jsonl));
const lines: Uint8Array[] = [];
for (let at = 0, nl = bundle.jsonl.indexOf(0x0a); nl !== -1; at = nl + 1, nl = bundle.jsonl.indexOf(0x0a, at)) lines.push(bundle.jsonl.subarray(at, nl));
const perLine = await least(RUNS, () => {
  const tree = new CompactRange(0, [], opts.hasher);
  for (const l of lines) tree.append(l);
});
const decoder = new TextDecoder("utf-8", { fatal: true });
const parse = await least(RUNS, () => {
  for (const l of lines) JSON.parse(decoder.decode(l));
});
console.log(`verify ${N} lines: ${total.toFixed(3)} s (least of ${RUNS})`);
console.log(`steps alone: gunzip ${gunzip.toFixed(3)} s, digests ${digests.toFixed(3)} s, Merkle tree with the WASM appender ${merkle.toFixed(3)} s (node:crypto per line: ${perLine.toFixed(3)} s), decode + JSON.parse per line ${parse.toFixed(3)} s`);
