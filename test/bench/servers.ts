/**
 * The processes under test: the bridge (wrangler.toml), the no-op baseline
 * (test/bench/noop/wrangler.toml) and the instrumented bridge (the real Worker with metered
 * Durable Objects, test/bench/instrumented/), each a `wrangler dev` on 127.0.0.1 with fresh
 * state (test/e2e/wrangler-dev.ts), each running a bundle snapshotted when the run starts.
 * Also reads the workerd child's CPU time and memory.
 */
import { spawnSync } from "node:child_process";
import { cpSync, readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { startBridge, type Bridge } from "../e2e/wrangler-dev.ts";

/** Environment every benchmark server gets: no local SQL tracing, no explorer (issue 9's hygiene). */
export const BENCH_ENV = { X_LOCAL_OBSERVABILITY: "false", X_LOCAL_EXPLORER: "false" };

export interface Server {
  bridge: Bridge;
  /** The workerd process that runs the Worker and its objects. */
  workerd: number;
  /** wrangler dev's proxy workerd (local only: production has no such hop). */
  proxy: number;
  /** Stop wrangler and delete its state. */
  stop(): Promise<void>;
}

export type ServerKind = "bridge" | "noop" | "instrumented";

const CONFIGS: Record<ServerKind, string> = {
  bridge: "wrangler.toml",
  noop: "test/bench/noop/wrangler.toml",
  // The bridge's own config (bindings, vars, migrations) with the instrumented entry as main.
  instrumented: "wrangler.toml",
};
const ENTRIES: Partial<Record<ServerKind, string>> = { instrumented: "test/bench/instrumented/index.ts" };

/** A server's code and assets, frozen when the run starts. */
export interface Snapshot {
  kind: ServerKind;
  dir: string;
  config: string;
}

/** The source the servers are built from: a commit exported to a temp dir, or the working tree. */
export interface SourceTree {
  root: string;
  /** What was measured: a commit, or "working tree at <commit>". */
  label: string;
  drop(): void;
}

function run(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 1 << 28, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * Export `rev` (default HEAD) with `git archive` and link node_modules in, or use the working
 * tree as it is. Exporting a commit keeps others' unfinished edits out of the measurement.
 * test/bench/ (the no-op and instrumented workers) is this harness's own, whatever the commit.
 */
export function sourceTree(rev: string | null): SourceTree {
  const commit = run("git", ["rev-parse", "--short=12", rev ?? "HEAD"]).trim();
  if (rev === null) return { root: process.cwd(), label: `working tree at ${commit}`, drop: () => {} };
  const root = mkdtempSync(join(tmpdir(), "tb-bench-src-"));
  const tar = spawnSync("git", ["archive", "--format=tar", commit], { maxBuffer: 1 << 30 });
  if (tar.status !== 0) throw new Error(`git archive ${commit}: ${tar.stderr}`);
  spawnSync("tar", ["-x", "-C", root], { input: tar.stdout });
  // The benchmark's own workers come with this harness, so any commit can be measured by it.
  rmSync(join(root, "test/bench"), { recursive: true, force: true });
  cpSync(resolve("test/bench"), join(root, "test/bench"), { recursive: true });
  symlinkSync(resolve("node_modules"), join(root, "node_modules"));
  // The bridge serves the dashboard as static assets; wrangler needs build/assets to exist.
  run(process.execPath, ["scripts/build-dashboard.ts"], root);
  return { root, label: commit, drop: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * Bundle the server now (wrangler deploy --dry-run) and write a config that runs that bundle
 * with no_bundle. wrangler dev watches its sources and restarts the Worker when they change;
 * others editing the tree mid-run would restart it under load (503s) or measure a mix of
 * versions. The snapshot is what gets measured, from the first request to the last.
 */
export function snapshot(kind: ServerKind, root: string): Snapshot {
  const dir = mkdtempSync(join(tmpdir(), `tb-bench-${kind}-`));
  const source = join(root, CONFIGS[kind]);
  let toml = readFileSync(source, "utf8");
  const entry = ENTRIES[kind];
  // Paths in the config are relative to it; the copies live elsewhere.
  toml = toml.replace(/^main = "(.*)"$/m, (_, m: string) => `main = ${JSON.stringify(entry ? join(root, entry) : resolve(dirname(source), m))}`);
  toml = toml.replace(/^directory = "(.*)"$/m, (_, d: string) => `directory = ${JSON.stringify(resolve(dirname(source), d))}`);
  const buildConfig = join(dir, "build.toml");
  writeFileSync(buildConfig, toml);
  run(resolve("node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", join(dir, "bundle"), "--config", buildConfig], root);
  const assets = /^directory = "(.*)"$/m.exec(toml)?.[1];
  if (assets) cpSync(JSON.parse(`"${assets}"`), join(dir, "assets"), { recursive: true });
  const runToml = `no_bundle = true\n` + toml
    .replace(/^name = .*$/m, `name = "telemetry-bridge-bench-${kind}"`)
    .replace(/^main = .*$/m, `main = ${JSON.stringify(join(dir, "bundle", "index.js"))}`)
    .replace(/^directory = .*$/m, `directory = ${JSON.stringify(join(dir, "assets"))}`);
  const config = join(dir, "wrangler.toml");
  writeFileSync(config, runToml);
  return { kind, dir, config };
}

export async function startServer(snap: Snapshot, env: Record<string, string> = {}, inspectorPort?: number): Promise<Server> {
  const bridge = await startBridge({ config: snap.config, env: { ...BENCH_ENV, ...env }, ...(inspectorPort ? { inspectorPort } : {}) });
  const stop = () => bridge.stop();
  // wrangler dev runs two workerd processes: its proxy (which every request passes through
  // first) and the runtime of the Worker and its objects (the one with the inspector).
  const all = descendants(bridge.pid).filter((pid) => cmdline(pid).includes("workerd"));
  const workerd = all.find((pid) => cmdline(pid).includes("--inspector-addr"));
  const proxy = all.find((pid) => pid !== workerd);
  if (workerd === undefined || proxy === undefined) {
    await stop();
    throw new Error(`expected wrangler (pid ${bridge.pid}) to run a proxy and a runtime workerd, found ${all.length} workerd processes`);
  }
  return { bridge, workerd, proxy, stop };
}

/** Delete a snapshot's files. */
export function dropSnapshot(snap: Snapshot): void {
  rmSync(snap.dir, { recursive: true, force: true });
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

/** Processes below `root` (this machine is shared: other workerd processes are not ours). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // Field 4 of /proc/<pid>/stat, after the parenthesised command name.
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

const CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ

/** User + system CPU seconds the process has used. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of stat; f starts at field 3.
  return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_SECOND;
}

export function statusKb(pid: number, field: "VmHWM" | "VmRSS"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

/** Reset the peak-RSS counter (Linux clear_refs 5) so VmHWM measures what follows; false if not permitted. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}
