/** What the figures were measured on and with: machine, versions, commit, date, load. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";

export interface MachineInfo {
  cpu_model: string;
  cores: number;
  ram_gib: number;
  node: string;
  wrangler: string;
  workerd: string;
  commit: string;
  /** Uncommitted changes in the working tree when the run started. */
  dirty: boolean;
  /** What the servers were built from: a commit, or the working tree (bench.ts). */
  measured?: string;
  date: string;
  /** 1-minute load average at start and end: above the core count means the machine was shared. */
  load_start: number;
  load_end?: number;
}

const version = (pkg: string) => (JSON.parse(readFileSync(`node_modules/${pkg}/package.json`, "utf8")) as { version: string }).version;
const git = (...args: string[]) => execFileSync("git", args, { encoding: "utf8" }).trim();

export function machineInfo(): MachineInfo {
  return {
    cpu_model: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    ram_gib: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    wrangler: version("wrangler"),
    workerd: version("workerd"),
    commit: git("rev-parse", "--short=12", "HEAD"),
    dirty: git("status", "--porcelain", "--untracked-files=no").length > 0,
    date: new Date().toISOString(),
    load_start: loadavg()[0]!,
  };
}

export const loadNow = (): number => loadavg()[0]!;
