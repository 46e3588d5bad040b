/**
 * `telemetry-bridge send`: ship log records to a bridge's POST /v1/logs in batches, from a file of
 * NDJSON or JSON, stdin, or the built-in sample stream. Each batch is gzipped NDJSON with its own
 * Idempotency-Key, so a retry (429, 503, 207, network errors) never stores a record twice.
 * Shows a progress bar on a terminal and ends with a summary.
 */
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { randomBytes } from "node:crypto";
import { MAX_RECORD_BYTES, MAX_RECORDS_PER_REQUEST } from "../shared/limits.ts";
import { fail, intFlag, parseArgs, read } from "./cli-args.ts";
import { progressBar } from "./progress.ts";
import { sampleStream } from "./samples.ts";

export const SEND_HELP = `Usage: telemetry-bridge send <file | -> --url <bridge-url> [--key <api-key>] [--asset <id>] [--batch N] [--json]
       telemetry-bridge send --sample [--count N] --url <bridge-url> [--key <api-key>] [--asset <id>] [--batch N] [--json]

Ships log records to POST /v1/logs in batches of N records (default 500, at most ${MAX_RECORDS_PER_REQUEST.toLocaleString("en-US")}; a batch also
stops at 4 MiB), gzipped NDJSON. The file holds NDJSON (one JSON object per line) or JSON (an object
or an array of objects); "-" reads stdin. --sample sends N records (--count, default 200) made from
the sample payloads in test/fixtures/samples/ (Fluent Bit, Vector, Azure, Cloud Logging) with the
current time. --asset names the asset of every record (records otherwise name their own, or go to
"default"). The key (scope "ingest") comes from --key or TB_API_KEY and is sent only in a header.

Every batch carries an Idempotency-Key: 429, 503, 207 and network errors are retried up to 4 times
(honouring Retry-After) without storing anything twice; a record over 256 KiB is not sent. A
progress bar shows on a terminal (stderr); the summary (stdout, or one JSON object with --json)
gives events sent, accepted and failed, requests and duration.

Exit 0 when every event was accepted, 1 when some were not (reasons on stderr), 2 on usage errors.`;

type Rec = Record<string, unknown>;

const DEFAULT_BATCH = 500;
const DEFAULT_SAMPLE_COUNT = 200;
const MAX_SAMPLE_COUNT = 1_000_000;
/** Raw NDJSON per request: well under the bridge's 5 MiB body cap even before gzip. */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
const ATTEMPTS = 4;
const MAX_WAIT_MS = 30_000;

export interface SendSummary {
  url: string;
  events: number;
  sent: number;
  accepted: number;
  failed: number;
  requests: number;
  retries: number;
  seconds: number;
  errors: string[];
}

/** Records from a file's text: one JSON document (object or array), else NDJSON. */
export function parseRecords(text: string, name: string): Rec[] {
  if (!text.trim()) fail(`${name} holds no records`);
  let values: unknown[];
  try {
    const whole = JSON.parse(text) as unknown;
    values = Array.isArray(whole) ? whole : [whole];
  } catch {
    values = [];
    text.split("\n").forEach((line, i) => {
      if (!line.trim()) return;
      try {
        values.push(JSON.parse(line));
      } catch {
        fail(`${name}:${i + 1}: not JSON (the file is neither a JSON document nor NDJSON)`);
      }
    });
  }
  values.forEach((v, i) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) fail(`${name}: record ${i + 1} is not a JSON object`);
  });
  return values as Rec[];
}

/** NDJSON lines cut into batches of at most `max` records and MAX_BATCH_BYTES. */
export function batches(lines: string[], max: number): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let bytes = 0;
  for (const line of lines) {
    const n = Buffer.byteLength(line) + 1;
    if (cur.length && (cur.length >= max || bytes + n > MAX_BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(line);
    bytes += n;
  }
  if (cur.length) out.push(cur);
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function waitFor(res: Response | null, attempt: number): number {
  const header = Number(res?.headers.get("retry-after"));
  return Math.min(MAX_WAIT_MS, Number.isFinite(header) && header > 0 ? header * 1000 : 500 * 2 ** attempt);
}

async function describe(res: Response): Promise<string> {
  const text = await res.text().catch(() => "");
  try {
    const p = JSON.parse(text) as { detail?: string; errors?: { pointer: string; detail: string }[] };
    const first = p.errors?.[0];
    return `${res.status} ${p.detail ?? text.slice(0, 200)}${first ? ` (${first.pointer}: ${first.detail})` : ""}`;
  } catch {
    return `${res.status} ${text.slice(0, 200)}`;
  }
}

/** One batch, retried while the bridge says a retry can succeed. */
async function sendBatch(
  endpoint: URL, key: string, lines: string[], idempotencyKey: string, counts: SendSummary,
): Promise<{ accepted: number; error?: string; fatal?: boolean }> {
  const body = gzipSync(Buffer.from(lines.join("\n") + "\n"));
  let last = "";
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) counts.retries++;
    counts.requests++;
    let res: Response;
    try {
      res = await fetch(endpoint, {
        method: "POST", body,
        headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/x-ndjson", "Content-Encoding": "gzip", "Idempotency-Key": idempotencyKey },
      });
    } catch (e) {
      last = `network: ${(e as Error).message}`;
      await sleep(waitFor(null, attempt));
      continue;
    }
    if (res.status === 200) return { accepted: ((await res.json()) as { accepted: number }).accepted };
    if (res.status === 207 || res.status === 429 || res.status === 503) {
      const partial = res.status === 207 ? ((await res.clone().json()) as { accepted: number }).accepted : 0;
      last = await describe(res);
      if (attempt === ATTEMPTS - 1) return { accepted: partial, error: last };
      await sleep(waitFor(res, attempt));
      continue;
    }
    // Anything else will not change by retrying; a refused key refuses every batch.
    return { accepted: 0, error: await describe(res), fatal: res.status === 401 || res.status === 403 };
  }
  return { accepted: 0, error: last };
}

export async function ship(records: Rec[], opts: { url: string; key: string; asset?: string; batch: number; onProgress?: (done: number, requests: number) => void }): Promise<SendSummary> {
  const endpoint = new URL("/v1/logs", opts.url);
  if (opts.asset !== undefined) endpoint.searchParams.set("asset", opts.asset);
  const started = performance.now();
  const summary: SendSummary = { url: endpoint.href, events: records.length, sent: 0, accepted: 0, failed: 0, requests: 0, retries: 0, seconds: 0, errors: [] };
  const lines: string[] = [];
  for (const [i, r] of records.entries()) {
    const line = JSON.stringify(opts.asset === undefined ? r : { ...r, asset: opts.asset });
    if (Buffer.byteLength(line) > MAX_RECORD_BYTES) {
      summary.failed++;
      summary.errors.push(`record ${i + 1}: over ${MAX_RECORD_BYTES / 1024} KiB, not sent`);
    } else {
      lines.push(line);
    }
  }
  const run = randomBytes(8).toString("hex");
  const all = batches(lines, opts.batch);
  for (const [n, batch] of all.entries()) {
    const result = await sendBatch(endpoint, opts.key, batch, `tb-send-${run}-${n}`, summary);
    summary.sent += batch.length;
    summary.accepted += result.accepted;
    summary.failed += batch.length - result.accepted;
    if (result.error) summary.errors.push(`batch ${n + 1} (${batch.length} records): ${result.error}`);
    opts.onProgress?.(summary.sent, summary.requests);
    if (result.fatal) {
      const rest = all.slice(n + 1).reduce((k, b) => k + b.length, 0);
      summary.failed += rest;
      if (rest) summary.errors.push(`${rest} more records not sent: the key was refused`);
      break;
    }
  }
  summary.seconds = Number(((performance.now() - started) / 1000).toFixed(3));
  return summary;
}

function printSummary(s: SendSummary): void {
  const rate = s.seconds > 0 ? ` (${Math.round(s.accepted / s.seconds).toLocaleString("en-US")} events/s)` : "";
  console.log(`Sent to ${s.url}`);
  console.log(`  events sent      ${s.sent.toLocaleString("en-US")}`);
  console.log(`  events accepted  ${s.accepted.toLocaleString("en-US")}`);
  console.log(`  events failed    ${s.failed.toLocaleString("en-US")}`);
  console.log(`  requests         ${s.requests}${s.retries ? ` (${s.retries} retries)` : ""}`);
  console.log(`  duration         ${s.seconds.toFixed(2)} s${rate}`);
}

export async function send(argv: string[]): Promise<void> {
  const { positional, flags } = parseArgs(argv, ["help", "sample", "json"]);
  if (flags.has("help")) return void console.log(SEND_HELP);
  const url = flags.get("url");
  const key = flags.get("key") ?? process.env.TB_API_KEY;
  const asset = flags.get("asset");
  if (typeof url !== "string" || (positional.length !== 1) === !flags.has("sample")) {
    fail(`send needs one file (or "-", or --sample) and --url\n\n${SEND_HELP}`);
  }
  if (!URL.canParse(url)) fail(`--url ${url} is not a URL`);
  if (typeof key !== "string") fail("no API key: pass --key or set TB_API_KEY");
  if (asset === true) fail("--asset needs a value");
  const batch = intFlag(flags, "batch", DEFAULT_BATCH, 1, MAX_RECORDS_PER_REQUEST);
  let records: Rec[];
  if (flags.has("sample")) {
    records = sampleStream(intFlag(flags, "count", DEFAULT_SAMPLE_COUNT, 1, MAX_SAMPLE_COUNT), asset);
  } else {
    const file = positional[0]!;
    records = parseRecords(file === "-" ? readFileSync(0, "utf8") : read(file).toString("utf8"), file === "-" ? "stdin" : file);
  }
  const bar = progressBar(records.length);
  const summary = await ship(records, { url, key, batch, ...(asset !== undefined ? { asset } : {}), onProgress: (d, r) => bar.update(d, r) });
  bar.end();
  if (flags.has("json")) console.log(JSON.stringify(summary, null, 2));
  else printSummary(summary);
  for (const e of flags.has("json") ? [] : summary.errors) console.error(`telemetry-bridge: ${e}`);
  process.exitCode = summary.failed > 0 ? 1 : 0;
}
