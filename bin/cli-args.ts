/** Argument parsing and failure exits shared by the CLI's commands. */
import { readFileSync } from "node:fs";

/** Print `telemetry-bridge: <message>` on stderr and exit (2 = usage or unreadable input). */
export function fail(message: string, code = 2): never {
  console.error(`telemetry-bridge: ${message}`);
  process.exit(code);
}

/** Split argv into positionals and --flags (a flag takes the next value unless it is boolean). */
export function parseArgs(argv: string[], booleans: string[]): { positional: string[]; flags: Map<string, string | true> } {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) {
      positional.push(a);
    } else if (booleans.includes(a.slice(2))) {
      flags.set(a.slice(2), true);
    } else {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      flags.set(a.slice(2), v);
    }
  }
  return { positional, flags };
}

export function read(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    fail(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** A whole-number flag within bounds, or the default. */
export function intFlag(flags: Map<string, string | true>, name: string, dflt: number, min: number, max: number): number {
  const raw = flags.get(name);
  if (raw === undefined) return dflt;
  const n = typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) fail(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
}
