/**
 * `npm run bench`: issue 9's benchmark suite. Starts its own `wrangler dev` servers on
 * 127.0.0.1 with fresh state, measures, prints one table with the issue's targets, and
 * writes bench/results.json. Sections and scale: `npm run bench -- --help`.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { tenantKey } from "../e2e/wrangler-dev.ts";
import { bundleCosts, ingestCosts, PRICE_SOURCES, PRICES_USD } from "./cost.ts";
import { runEvidence } from "./evidence.ts";
import { runHeap } from "./heap.ts";
import { prepareRound, runBreakdown, runInDo } from "./in-do.ts";
import { runCell, runIngest } from "./ingest.ts";
import { loadNow, machineInfo } from "./machine.ts";
import { HELP, parseOptions, type BenchOptions } from "./options.ts";
import { profileWhile } from "./profile.ts";
import { evaluateTargets, formatResults, type Results } from "./report.ts";
import { runBundleRows, runIngestRows } from "./rows.ts";
import { dropSnapshot, snapshot, sourceTree, startServer, type Server, type ServerKind, type Snapshot } from "./servers.ts";

/** Quotas off: the benchmark measures the bridge, not its limits. */
const QUOTAS_OFF = { quotas: { requests_per_minute: 0, events_per_minute: 0, key_requests_per_minute: 0, asset_events_per_second: 0 } };

const METHOD = [
  "Each server is `wrangler dev` on 127.0.0.1 with fresh state in a temp dir, X_LOCAL_OBSERVABILITY=false, X_LOCAL_EXPLORER=false.",
  "Load: closed loop on loopback from this Node process, keep-alive connections (one per worker), NDJSON bodies of ~260 B records",
  "with fresh increasing timestamps and distinct counters; warm-up not counted; cells bounded in time and events.",
  "No-op baseline: test/bench/noop (Worker reads the body, passes it by RPC to a DO that stores nothing), same requests.",
  "Server CPU: utime+stime of the workerd process over the measured phase. Rows: SQLite cursor rowsRead/rowsWritten summed in",
  "metered subclasses of the real DO classes (test/bench/instrumented), plus setAlarm calls, DO invocations and R2 operations.",
].join(" ");

function ringLines(): number {
  const m = /^RING_BUFFER_MAX_LINES\s*=\s*"(\d+)"/m.exec(readFileSync("wrangler.toml", "utf8"));
  return m ? Number(m[1]) : 200_000;
}

const log = (s: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}`);

async function withServer<T>(snap: Snapshot, fn: (s: Server, key: string) => Promise<T>, inspectorPort?: number): Promise<T> {
  const server = await startServer(snap, {}, inspectorPort);
  try {
    return await fn(server, await tenantKey(server.bridge, "bench", QUOTAS_OFF));
  } finally {
    await server.stop();
  }
}

/** Bundle what each section needs now: the tree may change under a long run (see servers.ts). */
function snapshots(o: BenchOptions, root: string): Partial<Record<ServerKind, Snapshot>> {
  const has = (s: string) => o.sections.includes(s as never);
  const kinds: ServerKind[] = [];
  if (has("evidence") || has("ingest")) kinds.push("bridge");
  if (has("ingest")) kinds.push("noop");
  if (has("in-do") || has("rows") || has("heap")) kinds.push("instrumented");
  return Object.fromEntries(kinds.map((k) => [k, snapshot(k, root)]));
}

async function run(o: BenchOptions, snaps: Partial<Record<ServerKind, Snapshot>>, measured: string): Promise<Results> {
  const results: Results = { machine: { ...machineInfo(), measured }, method: METHOD, options: { ...o } };
  const has = (s: string) => o.sections.includes(s as never);
  const profilePort = o.profile ? 9229 + Math.floor(Math.random() * 500) : undefined;
  if (snaps.bridge) {
    log("starting the bridge" + (snaps.noop ? " and the no-op baseline" : ""));
    const [bridge, noop] = await Promise.all([startServer(snaps.bridge, {}, profilePort), snaps.noop ? startServer(snaps.noop) : Promise.resolve(null)]);
    try {
      const key = await tenantKey(bridge.bridge, "bench", QUOTAS_OFF);
      // Evidence first, on fresh state: ingest leaves gigabytes and trimming alarms behind.
      if (has("evidence")) results.evidence = await runEvidence(bridge, key, o.evidenceSizes, o.builds, log);
      if (has("ingest") && noop) {
        results.ingest = await runIngest(bridge, key, noop, o, log);
        if (profilePort) {
          mkdirSync("bench", { recursive: true });
          for (const batch of [1, 1000]) {
            const file = `bench/ingest-${batch}.cpuprofile`;
            const top = await profileWhile(profilePort, file, () => runCell(bridge, key, "bridge", batch, 16, 1, { ...o, seconds: Math.min(o.seconds, 3) }, `profile${batch}`));
            results.profile = { ...results.profile, [`ingest_batch_${batch}_x16`]: { file, top } };
            log(`profile of ingest batch ${batch} (x16): ${file}; top self time:\n${top.slice(0, 15).map((h) => `  ${h.self_ms.toFixed(0).padStart(6)} ms ${(h.self_share * 100).toFixed(1).padStart(5)}%  ${h.function} ${h.where}`).join("\n")}`);
          }
        }
      }
    } finally {
      await Promise.all([bridge.stop(), noop?.stop()]);
    }
  }
  if (snaps.instrumented && (has("in-do") || has("rows"))) {
    log("starting the instrumented bridge");
    await withServer(snaps.instrumented, async (server, key) => {
      if (has("in-do")) {
        results.in_do = await runInDo(server, o.inDoRounds, ringLines(), o.quick ? 0.25 : 1, log);
        results.breakdown = await runBreakdown(server, o.quick ? 10 : 50, log);
        if (profilePort) {
          const file = "bench/in-do-1000.cpuprofile";
          mkdirSync("bench", { recursive: true });
          const run = await prepareRound(server, "in-do-b1000", 1000, 50, 1e9);
          const top = await profileWhile(profilePort, file, run);
          results.profile = { ...results.profile, in_do_batch_1000: { file, top } };
          log(`profile of in-DO appends (batch 1000): ${file}; top self time:\n${top.slice(0, 15).map((h) => `  ${h.self_ms.toFixed(0).padStart(6)} ms ${(h.self_share * 100).toFixed(1).padStart(5)}%  ${h.function} ${h.where}`).join("\n")}`);
        }
      }
      if (has("rows")) {
        results.rows = { ingest: await runIngestRows(server, key, o.batches, o.quick ? 2_000 : 20_000, log), bundles: await runBundleRows(server, key, o.evidenceSizes, log) };
      }
    }, profilePort);
  }
  if (snaps.instrumented && has("heap")) {
    log("starting the instrumented bridge with a capped V8 heap");
    results.heap = await runHeap(snaps.instrumented, Math.max(...o.evidenceSizes), QUOTAS_OFF, log);
  }
  if (results.rows && results.ingest && results.in_do) {
    const builds = new Map((results.evidence ?? []).map((e) => [e.lines, e.build_seconds]));
    results.cost = {
      prices_usd: { ...PRICES_USD }, sources: PRICE_SOURCES,
      ingest_per_million_events: ingestCosts(results.ingest, results.rows.ingest, results.in_do),
      per_bundle: bundleCosts(results.rows.bundles, builds),
    };
  }
  results.machine.load_end = loadNow();
  results.targets = evaluateTargets(results);
  return results;
}

async function main(): Promise<void> {
  let o: ReturnType<typeof parseOptions>;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (e) {
    console.error(`npm run bench: ${(e as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  if (o === "help") {
    console.log(HELP);
    return;
  }
  const started = performance.now();
  const tree = sourceTree(o.rev);
  log(`bundling the servers from ${tree.label} (measured as bundled, whatever happens to the tree meanwhile)`);
  let results: Results;
  try {
    const snaps = snapshots(o, tree.root);
    try {
      results = await run(o, snaps, tree.label);
    } finally {
      for (const s of Object.values(snaps)) dropSnapshot(s);
    }
  } finally {
    tree.drop();
  }
  console.log(formatResults(results));
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, JSON.stringify(results, null, 2) + "\n");
  console.log(`\nwrote ${o.out} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

await main();
