/**
 * `telemetry-bridge send` against a fake bridge on 127.0.0.1: batching, gzip NDJSON with a key
 * header and one Idempotency-Key per batch, retries that reuse the key, permanent failures, a
 * refused key stopping the run, the sample stream, the summary and exit codes. (The browser
 * test sends through a real `wrangler dev`.)
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { progressLine } from "../../bin/progress.ts";

interface Seen { url: string; headers: IncomingMessage["headers"]; records: Record<string, unknown>[] }
type Reply = (req: Seen, n: number) => { status: number; body: unknown; headers?: Record<string, string> };

let server: Server;
let url: string;
let seen: Seen[] = [];
let reply: Reply = (req) => ({ status: 200, body: { ok: true, accepted: req.records.length, assets: {} } });

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const text = gunzipSync(Buffer.concat(chunks)).toString("utf8");
      const s: Seen = { url: req.url!, headers: req.headers, records: text.split("\n").filter(Boolean).map((l) => JSON.parse(l)) };
      seen.push(s);
      const r = reply(s, seen.length);
      res.writeHead(r.status, { "Content-Type": "application/json", ...r.headers });
      res.end(JSON.stringify(r.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function cli(args: string[], stdin?: string): Promise<{ code: number | null; out: string; err: string }> {
  seen = [];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bin/telemetry-bridge.ts", "send", ...args], { env: { ...process.env, TB_API_KEY: "tb_t_0123456789abcdef_secret" } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => resolve({ code, out, err }));
    child.stdin.end(stdin ?? "");
  });
}

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "tb-send-")), name);
  writeFileSync(path, text);
  return path;
}

const ndjson = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ level: "info", message: `line ${i}` })).join("\n") + "\n";

describe("telemetry-bridge send", () => {
  it("ships an NDJSON file in batches, each gzipped with the key in a header and its own Idempotency-Key", async () => {
    reply = (req) => ({ status: 200, body: { ok: true, accepted: req.records.length, assets: {} } });
    const r = await cli([file("logs.ndjson", ndjson(1200)), "--url", url, "--batch", "500", "--asset", "web-1"]);
    expect(r.code).toBe(0);
    expect(seen.map((s) => s.records.length)).toEqual([500, 500, 200]);
    expect(seen[0]!.url).toBe("/v1/logs?asset=web-1");
    expect(seen[0]!.headers).toMatchObject({ authorization: "Bearer tb_t_0123456789abcdef_secret", "content-type": "application/x-ndjson", "content-encoding": "gzip" });
    expect(new Set(seen.map((s) => s.headers["idempotency-key"])).size).toBe(3);
    expect(seen.flatMap((s) => s.records).map((x) => x.message)).toEqual(Array.from({ length: 1200 }, (_, i) => `line ${i}`));
    expect(seen[2]!.records[0]).toMatchObject({ asset: "web-1" });
    expect(r.out).toMatch(/events sent\s+1,200/);
    expect(r.out).toMatch(/events accepted\s+1,200/);
    expect(r.out).toMatch(/events failed\s+0/);
    expect(r.out).toMatch(/requests\s+3\n/);
    expect(r.out).toMatch(/duration\s+\d+\.\d\d s/);
    expect(r.out + r.err).not.toContain("secret");
  });

  it("reads a JSON array from stdin and prints a JSON summary", async () => {
    const r = await cli(["-", "--url", url, "--json"], JSON.stringify([{ a: 1 }, { a: 2 }, { a: 3 }]));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ events: 3, sent: 3, accepted: 3, failed: 0, requests: 1, retries: 0, errors: [] });
  });

  it("retries 503 and 207 with the same Idempotency-Key, honouring Retry-After", async () => {
    reply = (req, n) => n === 1 ? { status: 503, body: { detail: "busy" }, headers: { "Retry-After": "1" } }
      : n === 2 ? { status: 207, body: { ok: false, accepted: 1 }, headers: { "Retry-After": "1" } }
        : { status: 200, body: { ok: true, accepted: req.records.length } };
    const started = Date.now();
    const r = await cli([file("two.json", JSON.stringify([{ a: 1 }, { a: 2 }])), "--url", url]);
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => s.headers["idempotency-key"])).size).toBe(1);
    expect(r.out).toMatch(/requests\s+3 \(2 retries\)/);
    expect(r.out).toMatch(/events accepted\s+2\n/);
  });

  it("counts a refused batch as failed, says why, goes on, and exits 1", async () => {
    reply = (req, n) => n === 1
      ? { status: 422, body: { detail: "1 record(s) are invalid; nothing was stored.", errors: [{ pointer: "/0/ts", detail: "not an ISO 8601 time" }] } }
      : { status: 200, body: { ok: true, accepted: req.records.length } };
    const r = await cli([file("bad.ndjson", ndjson(4)), "--url", url, "--batch", "2"]);
    expect(r.code).toBe(1);
    expect(seen).toHaveLength(2);
    expect(r.out).toMatch(/events accepted\s+2\n/);
    expect(r.out).toMatch(/events failed\s+2\n/);
    expect(r.err).toContain("batch 1 (2 records): 422 1 record(s) are invalid; nothing was stored. (/0/ts: not an ISO 8601 time)");
  });

  it("stops at a refused key instead of sending every batch to be refused", async () => {
    reply = () => ({ status: 401, body: { detail: "The API key or token is not valid." } });
    const r = await cli([file("x.ndjson", ndjson(6)), "--url", url, "--batch", "2"]);
    expect(r.code).toBe(1);
    expect(seen).toHaveLength(1);
    expect(r.out).toMatch(/events failed\s+6\n/);
    expect(r.err).toContain("401 The API key or token is not valid.");
    expect(r.err).toContain("4 more records not sent: the key was refused");
  });

  it("--sample sends the sample stream, timestamped now, under --asset", async () => {
    reply = (req) => ({ status: 200, body: { ok: true, accepted: req.records.length } });
    const before = Date.now();
    const r = await cli(["--sample", "--count", "30", "--asset", "demo", "--url", url]);
    expect(r.code).toBe(0);
    const records = seen.flatMap((s) => s.records);
    expect(records).toHaveLength(30);
    expect(records.every((x) => x.asset === "demo")).toBe(true);
    // Fluent Bit's epoch-seconds `date`, Vector's ISO `timestamp`, Azure's `time`: all now.
    expect((records[0]!.date as number) * 1000).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(records[2]!.timestamp as string)).toBeGreaterThanOrEqual(before - 1000);
    expect(records.some((x) => (x.properties as { action?: string } | undefined)?.action === "Blocked")).toBe(true);
  });

  it("has --help and exits 2 on usage errors", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("Usage: telemetry-bridge send");
    expect((await cli(["--url", url])).code).toBe(2);
    expect((await cli([file("a.json", "{}"), "--sample", "--url", url])).code).toBe(2);
    const bad = await cli([file("bad.txt", "{\"a\":1}\nnot json\n"), "--url", url]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/bad\.txt:2: not JSON/);
    expect((await cli([file("a.json", "{}"), "--url", url, "--batch", "0"])).code).toBe(2);
    expect(seen).toHaveLength(0);
  });

  it("draws a progress bar line", () => {
    expect(progressLine(450, 1000, 3)).toBe(`[${"#".repeat(13)}${"-".repeat(15)}]  45%  450/1,000 events  3 requests`);
    expect(progressLine(1000, 1000, 1)).toMatch(/^\[#{28}\] 100%  1,000\/1,000 events  1 request$/);
  });
});
