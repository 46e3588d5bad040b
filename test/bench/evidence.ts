/**
 * Evidence section: fill an asset with N lines (1,000-event NDJSON requests, fresh timestamps),
 * then time GET /v1/assets/{asset}/evidence?since=0 (read chunk rows, gzip, hash, Merkle, sign,
 * put to local R2), read the workerd process's peak RSS during each build (VmHWM after
 * clear_refs), download the bundle and verify it offline with the CLI's code (Node, native
 * SHA-256 and gunzip).
 */
import { nodeVerifyOptions } from "../../shared/evidence/node-verify.ts";
import { verifyBundle } from "../../shared/evidence/verify.ts";
import { BodyFactory } from "./bodies.ts";
import { runLoad } from "./load.ts";
import { resetPeak, statusKb, type Server } from "./servers.ts";

export interface EvidenceResult {
  lines: number;
  ingest_seconds: number;
  /** Median of `builds` builds, and every build's time. */
  build_seconds: number;
  build_seconds_all: number[];
  jsonl_bytes: number;
  gz_bytes: number;
  workerd_rss_before_mb: number;
  workerd_peak_rss_mb: number;
  /** false when clear_refs was not permitted: the peak then covers the process lifetime. */
  peak_reset: boolean;
  verify_seconds: number;
}

const BATCH = 1000;

/** Store `lines` lines in `asset` with 4 connections of 1,000-event requests. */
export async function fill(server: Server, key: string, asset: string, lines: number): Promise<number> {
  const bodies = new BodyFactory(BATCH);
  const t0 = performance.now();
  const res = await runLoad({
    origin: server.bridge.url, path: () => `/v1/logs?asset=${asset}`,
    headers: { "Content-Type": "application/x-ndjson", Authorization: `Bearer ${key}` },
    body: () => bodies.next(), connections: 4, warmupMs: 0, warmupMinRequests: 0,
    durationMs: 600_000, maxRequests: Math.ceil(lines / BATCH),
  });
  if (res.statuses["200"] !== res.requests) throw new Error(`filling ${asset}: ${JSON.stringify(res.statuses)}`);
  return (performance.now() - t0) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export async function build(server: Server, key: string, asset: string): Promise<{ seconds: number; body: any }> {
  const t0 = performance.now();
  const res = await fetch(`${server.bridge.url}/v1/assets/${asset}/evidence?since=0`, { headers: { Authorization: `Bearer ${key}` } });
  const body = (await res.json()) as any;
  const seconds = (performance.now() - t0) / 1000;
  if (res.status !== 200 || !body.ok) throw new Error(`evidence ${asset}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  return { seconds, body };
}

export async function runEvidence(server: Server, key: string, sizes: number[], builds: number, log: (s: string) => void): Promise<EvidenceResult[]> {
  const jwks = await (await fetch(`${server.bridge.url}/.well-known/jwks.json`)).json();
  const out: EvidenceResult[] = [];
  for (const n of sizes) {
    const asset = `evidence-${n}`;
    const ingestSeconds = await fill(server, key, asset, n);
    const rssBefore = statusKb(server.workerd, "VmRSS") / 1024;
    const times: number[] = [];
    let peak = 0;
    let reset = true;
    let last: any;
    for (let b = 0; b < builds; b++) {
      reset = resetPeak(server.workerd) && reset;
      const { seconds, body } = await build(server, key, asset);
      peak = Math.max(peak, statusKb(server.workerd, "VmHWM") / 1024);
      if (body.metadata?.line_count !== n) throw new Error(`evidence ${asset}: ${body.metadata?.line_count} lines, expected ${n}`);
      times.push(seconds);
      last = body;
      // Bundles made in the same second share a key (and are reused): the next build must be a new one.
      if (b < builds - 1) await new Promise((r) => setTimeout(r, 1000));
    }
    const get = async (f: string) => new Uint8Array(await (await fetch(`${server.bridge.url}/v1/bundles/${last.bundle.id}/${f}`, { headers: { Authorization: `Bearer ${key}` } })).arrayBuffer());
    const records = await get("records.jsonl.gz");
    const statement = new TextDecoder().decode(await get("statement.dsse.json"));
    const t1 = performance.now();
    const report = await verifyBundle({ records, statement }, { jwks: jwks as any, ...nodeVerifyOptions() });
    const verifySeconds = (performance.now() - t1) / 1000;
    if (!report.ok) throw new Error(`verify ${asset}: ${report.code} ${report.message}`);
    const r: EvidenceResult = {
      lines: n, ingest_seconds: ingestSeconds, build_seconds: median(times), build_seconds_all: times,
      jsonl_bytes: last.bundle.uncompressed_size_bytes, gz_bytes: last.metadata.compressed_size_bytes,
      workerd_rss_before_mb: rssBefore, workerd_peak_rss_mb: peak, peak_reset: reset, verify_seconds: verifySeconds,
    };
    out.push(r);
    log(`evidence ${n} lines: build ${r.build_seconds.toFixed(3)} s (median of ${builds}), gz ${(r.gz_bytes / 1e6).toFixed(2)} MB, ` +
      `workerd RSS ${rssBefore.toFixed(0)} -> peak ${peak.toFixed(0)} MB, verify ${verifySeconds.toFixed(3)} s`);
  }
  return out;
}
