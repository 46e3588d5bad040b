/**
 * How hard the fuzz and crash suites push. `npm test` runs the reduced CI counts; `npm run
 * test:soak` (SOAK=1) the full ones; FUZZ_RUNS and CRASH_KILLS set a count directly. The values
 * come from vitest.config.ts through `provide`, since workerd tests cannot read process.env.
 */
import { inject } from "vitest";

declare module "vitest" {
  interface ProvidedContext {
    soak: { full: boolean; fuzzRuns: number; crashKills: number };
  }
}

/** Full soak counts: the acceptance figures. */
export const SOAK_FUZZ_RUNS = 10_000;
export const SOAK_CRASH_KILLS = 10;

export function isSoak(): boolean {
  return inject("soak")?.full ?? false;
}

/** Inputs per decoder or route: FUZZ_RUNS, else 10,000 in a soak, else `ci`. */
export function fuzzRuns(ci: number): number {
  const s = inject("soak");
  return s?.fuzzRuns || (s?.full ? SOAK_FUZZ_RUNS : ci);
}

/** SIGKILLs in the crash test: CRASH_KILLS, else 10 in a soak, else `ci`. */
export function crashKills(ci: number): number {
  const s = inject("soak");
  return s?.crashKills || (s?.full ? SOAK_CRASH_KILLS : ci);
}

/** A per-test timeout that grows with the run count (ms per run measured on the 2-core CI machine, doubled). */
export function scaledTimeout(runs: number, msPerRun: number, floorMs = 30_000): number {
  return Math.max(floorMs, Math.ceil(runs * msPerRun * 2));
}
