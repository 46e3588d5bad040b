/** npm run bench stays runnable: its usage text, option parsing, and the result table (no servers started). */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseOptions } from "../bench/options.ts";
import { evaluateTargets, formatResults, type Results } from "../bench/report.ts";

describe("npm run bench", () => {
  it("prints its usage with --help and exits 0", () => {
    const r = spawnSync(process.execPath, ["test/bench/bench.ts", "--help"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: npm run bench");
    for (const s of ["evidence", "ingest", "in-do", "rows", "heap", "--quick", "--sections", "--rev"]) expect(r.stdout).toContain(s);
  });

  it("refuses unknown options and sections with the usage, exit 2", () => {
    const r = spawnSync(process.execPath, ["test/bench/bench.ts", "--sections", "nope"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown section/);
    expect(() => parseOptions(["--batches", "0"])).toThrow(/positive/);
  });

  it("quick runs a smaller matrix than the default", () => {
    const full = parseOptions([]);
    const quick = parseOptions(["--quick"]);
    if (full === "help" || quick === "help") throw new Error("unexpected help");
    expect(quick.seconds).toBeLessThan(full.seconds);
    expect(quick.evidenceSizes).toEqual([10_000]);
    expect(full.evidenceSizes).toEqual([10_000, 100_000, 200_000]);
  });

  it("formats a results object into one table with the targets it can judge", () => {
    const lat = { p50: 1, p95: 2, p99: 3, max: 4 };
    const cell = (target: "bridge" | "noop", batch: number, rps: number, p99: number) => ({
      target, batch, connections: 16, assets: 1, requests: 100, seconds: 1, requests_per_second: rps, latency_ms: { ...lat, p99 },
      statuses: { 200: 100 }, client_cpu_share: 0.1, events_per_second: rps * batch, body_bytes: 260 * batch,
      server_cpu_ms_per_request: 1, proxy_cpu_ms_per_request: 1,
    });
    const r: Results = {
      machine: { cpu_model: "Test CPU", cores: 2, ram_gib: 24, node: "v22", wrangler: "4", workerd: "1", commit: "abc", dirty: false, date: "2026-11-25T00:00:00Z", load_start: 0.1 },
      method: "fixture", options: {},
      ingest: [cell("noop", 1, 1000, 10), cell("bridge", 1, 900, 12), cell("noop", 1000, 400, 50), cell("bridge", 1000, 100, 60)],
    };
    r.targets = evaluateTargets(r);
    const out = formatResults(r);
    expect(out).toContain("Test CPU");
    expect(out).toMatch(/bridge batch 1 x16 conn 1 asset\s+900\s+900/);
    expect(out).toContain("90% of no-op");
    expect(out).toMatch(/\[ met \] single-event requests\/s >= 85%/);
    expect(out).toMatch(/\[MISSED\] 1,000-event requests >= 75%.*25%/);
    expect(r.targets.find((t) => t.target.startsWith("inside the DO"))).toBeUndefined();
  });
});
