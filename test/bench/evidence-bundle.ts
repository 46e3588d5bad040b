/**
 * `npm run bench:evidence`: the evidence section of `npm run bench` alone (bundles of
 * 10,000 / 100,000 / 200,000 lines: build seconds, bundle bytes, workerd peak RSS, offline
 * verify seconds), written to bench/evidence.json. Options as for `npm run bench`, e.g.
 *
 *   npm run bench:evidence [-- --sizes 10000,100000,200000]
 */
process.argv.splice(2, 0, "--sections", "evidence", "--out", "bench/evidence.json");
await import("./bench.ts");

export {};
