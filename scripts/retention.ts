/**
 * `npm run retention`: run the retention pass now on a bridge (the local `npm start` one by
 * default) through POST /v1/admin/retention/run, and print what it deleted.
 */
import { readVars, VARS_FILE } from "./dev-vars.ts";

const HELP = `Usage: npm run retention [-- options]

Runs the retention pass (what the hourly cron does) on the bridge: deletes each tenant's evidence,
raw segments and rollups older than its retention_days, within the per-run bounds. See docs/retention.md.

Options:
  --url URL     the bridge (default http://127.0.0.1:$PORT, PORT defaulting to 8787)
  --token T     the operator's ADMIN_TOKEN (default: $ADMIN_TOKEN, else ADMIN_TOKEN from ${VARS_FILE},
                which npm start writes)
  --now TIME    judge ages as if it were TIME (ISO 8601, e.g. 2028-01-15T12:00:00Z); only a bridge
                with RETENTION_TEST_CLOCK = "true" accepts it (npm start sets it; production must not)
  --all         run again while the answer says more work remains (at most 100 runs)
  --json        print the answers as JSON lines
  -h, --help    this text

Exit codes: 0 done, 1 the bridge refused or failed (the problem is printed), 2 usage.`;

interface Report {
  now: string;
  deleted: Record<string, number>;
  failed: Record<string, number>;
  tenants: number;
  more: boolean;
  stopped_by: string | null;
  failures: { tenant: string; class: string | null; step: string; reason: string; count: number; detail: string }[];
  failures_omitted: number;
}

const MAX_RUNS = 100;

function usage(message: string): never {
  console.error(`npm run retention: ${message}\n\n${HELP}`);
  process.exit(2);
}

function parseArgs(argv: string[]): { url: string; token: string | undefined; now?: string; all: boolean; json: boolean } {
  const out = { url: `http://127.0.0.1:${process.env.PORT ?? 8787}`, token: process.env.ADMIN_TOKEN, all: false, json: false } as ReturnType<typeof parseArgs>;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === "-h" || a === "--help") {
      console.log(HELP);
      process.exit(0);
    } else if (a === "--url") out.url = value().replace(/\/+$/, "");
    else if (a === "--token") out.token = value();
    else if (a === "--now") out.now = value();
    else if (a === "--all") out.all = true;
    else if (a === "--json") out.json = true;
    else usage(`unknown option ${a}`);
  }
  out.token ??= readVars().get("ADMIN_TOKEN");
  if (!out.token) usage(`no admin token: pass --token, set ADMIN_TOKEN, or run npm start once to make ${VARS_FILE}`);
  if (out.now !== undefined && !Number.isFinite(Date.parse(out.now))) usage(`--now must be an ISO 8601 time, not ${out.now}`);
  return out;
}

function summary(r: Report, n: number): string {
  const counts = (c: Record<string, number>) => `evidence ${c.evidence ?? 0}, raw ${c.raw ?? 0}, summary ${c.summary ?? 0}`;
  const lines = [`run ${n} (now ${r.now}): ${r.tenants} tenant(s); deleted ${counts(r.deleted)}; failed ${counts(r.failed)}`];
  for (const f of r.failures) lines.push(`  ${f.tenant} ${f.class ?? "-"} ${f.step} ${f.reason} x${f.count}: ${f.detail}`);
  if (r.failures_omitted) lines.push(`  ... and ${r.failures_omitted} more failure(s)`);
  lines.push(r.more ? `  more work remains (stopped by ${r.stopped_by}): the next run continues` : "  sweep complete");
  return lines.join("\n");
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const target = `${opts.url}/v1/admin/retention/run${opts.now ? `?now=${encodeURIComponent(opts.now)}` : ""}`;
  for (let n = 1; n <= MAX_RUNS; n++) {
    let res: Response;
    try {
      res = await fetch(target, { method: "POST", headers: { Authorization: `Bearer ${opts.token}` } });
    } catch (e) {
      console.error(`npm run retention: ${opts.url} did not answer (${(e as Error).message}); is npm start running?`);
      process.exit(1);
    }
    const text = await res.text();
    if (!res.ok) {
      console.error(`npm run retention: ${res.status} ${text}`);
      process.exit(1);
    }
    const report = JSON.parse(text) as Report;
    console.log(opts.json ? JSON.stringify(report) : summary(report, n));
    if (!opts.all || !report.more) return;
  }
  console.error(`npm run retention: still more after ${MAX_RUNS} runs; run it again`);
}

await main();
