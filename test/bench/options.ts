/** `npm run bench` options: sections, scale, output. Pure (the CLI test checks `--help`). */

export const SECTIONS = ["evidence", "ingest", "in-do", "rows", "heap"] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  sections: Section[];
  quick: boolean;
  /** Measured seconds per ingest cell, and warm-up seconds before it. */
  seconds: number;
  warmupSeconds: number;
  batches: number[];
  connections: number[];
  assets: number[];
  evidenceSizes: number[];
  /** Builds per evidence size (the median is reported). */
  builds: number;
  /** Timed 50-batch rounds of 1,000-event appends inside the DO (after filling the ring). */
  inDoRounds: number;
  out: string;
  profile: boolean;
  /** Commit to build the servers from (git archive); null = the working tree as it is. */
  rev: string | null;
}

export const HELP = `Usage: npm run bench [-- options]

Starts wrangler dev on 127.0.0.1 with fresh state (the bridge, a no-op Worker + DO baseline, and
an instrumented bridge with metered Durable Objects), measures, prints one table and writes
bench/results.json. Not part of npm test. Quotas are off for the benchmark tenant.

Sections (default: all):
  evidence   bundles of 10,000 / 100,000 / 200,000 lines: build s, bytes, workerd peak RSS, verify s
  ingest     POST /v1/logs: requests/s, events/s, p50/p95/p99, workerd CPU per request, bridge
             and no-op side by side, for each batch size x connections x assets
  in-do      1,000-event appends inside the AssetLog (no HTTP, no RPC), ring full and trimming;
             also batches of 1 and 100, and the same batches sent by RPC from the Worker
  rows       DO SQLite rows written/read, setAlarm calls, DO requests and R2 operations per 1,000
             events ingested (batch 1, 100, 1,000) and per bundle built; bytes stored per event
  heap       the 200,000-line bundle with workerd's V8 heap capped (--max-old-space-size=32)

Options:
  --sections a,b        run only these sections
  --quick               smoke run (~1-2 minutes): short cells, 16 connections only, fewer appends and
                        requests, 10,000-line bundles only
  --seconds N           measured seconds per ingest cell (default 5; quick 1.5)
  --warmup N            warm-up seconds per ingest cell (default 1; quick 0.5)
  --batches 1,100,1000  events per request
  --connections 1,16    concurrent keep-alive connections (quick: 16)
  --assets 1,64         assets the requests are spread over (round robin, one asset per request)
  --sizes 10000,100000,200000   evidence bundle sizes (lines)
  --builds N            builds per bundle size, median reported (default 3; quick 1)
  --rounds N            timed in-DO rounds of 50 x 1,000 events (default 6; quick 2)
  --profile             also CPU-profile workerd (inspector) during one ingest cell and the in-DO
                        run; writes bench/*.cpuprofile and lists the top functions
  --rev REV             build the servers from this commit (default HEAD, exported with git archive,
                        so unfinished edits in the tree are not measured)
  --worktree            build the servers from the working tree as it is instead
  --out FILE            results file (default bench/results.json)
  -h, --help            this text

Environment: X_LOCAL_OBSERVABILITY=false and X_LOCAL_EXPLORER=false are always set for the servers.`;

function list(v: string | undefined, flag: string): number[] {
  const out = (v ?? "").split(",").map(Number);
  if (!out.length || out.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error(`${flag} takes a comma-separated list of positive numbers`);
  return out;
}

/** Parse argv; throws Error with a usage message on bad input. */
export function parseOptions(argv: string[]): BenchOptions | "help" {
  if (argv.includes("--help") || argv.includes("-h")) return "help";
  const quick = argv.includes("--quick");
  const o: BenchOptions = {
    sections: [...SECTIONS],
    quick,
    seconds: quick ? 1.5 : 5,
    warmupSeconds: quick ? 0.5 : 1,
    batches: [1, 100, 1000],
    connections: quick ? [16] : [1, 16],
    assets: [1, 64],
    evidenceSizes: quick ? [10_000] : [10_000, 100_000, 200_000],
    builds: quick ? 1 : 3,
    inDoRounds: quick ? 2 : 6,
    out: "bench/results.json",
    profile: false,
    rev: "HEAD",
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${a} needs a value`);
      return next;
    };
    switch (a) {
      case "--quick": break;
      case "--profile": o.profile = true; break;
      case "--sections": {
        const s = v().split(",");
        const bad = s.filter((x) => !(SECTIONS as readonly string[]).includes(x));
        if (bad.length) throw new Error(`unknown section(s) ${bad.join(", ")}; known: ${SECTIONS.join(", ")}`);
        o.sections = s as Section[];
        break;
      }
      case "--seconds": o.seconds = list(v(), a)[0]!; break;
      case "--warmup": o.warmupSeconds = Number(v()); break;
      case "--batches": o.batches = list(v(), a); break;
      case "--connections": o.connections = list(v(), a); break;
      case "--assets": o.assets = list(v(), a); break;
      case "--sizes": o.evidenceSizes = list(v(), a); break;
      case "--builds": o.builds = list(v(), a)[0]!; break;
      case "--rounds": o.inDoRounds = list(v(), a)[0]!; break;
      case "--out": o.out = v(); break;
      case "--rev": o.rev = v(); break;
      case "--worktree": o.rev = null; break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  return o;
}
