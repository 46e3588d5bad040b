/**
 * Build one evidence bundle from a seq range and write it to the store:
 * records.jsonl.gz (lines + "\n", gzip, header mtime 0) and metadata.json, under the
 * DESIGN.md section 6 key layout. The object key embeds sha256(gz), which is known
 * only after compressing; windows that fit in one part are compressed once and put
 * from memory, larger ones are compressed again and streamed as a multipart upload
 * (gzip is deterministic; the second digest must match the first).
 */
import { bundleId, bundlePrefix, METADATA_FILE, RECORDS_FILE } from "../../shared/evidence/bundle-layout.ts";
import { EVIDENCE_PART_BYTES } from "../../shared/limits.ts";
import type { EvidenceStore } from "../../shared/storage/evidence-store.ts";
import { gzipParts, type GzipDigests } from "./gzip-parts.ts";

export interface BundleInfo {
  id: string;
  prefix: string;
  created_at: string;
  first_seq: number;
  end_seq: number;
  line_count: number;
  since_seconds: number;
  gz_sha256: string;
  gz_bytes: number;
  jsonl_sha256: string;
  jsonl_bytes: number;
  provider: string;
  bucket: string;
  records_key: string;
  metadata_key: string;
  records_url: string;
}

export type SealError = { code: "store_error"; detail: string };

export interface SealInput {
  sql: SqlStorage;
  store: EvidenceStore;
  tenant: string;
  asset: string;
  first: number;
  end: number;
  sinceSeconds: number;
  nowMs: number;
  /** A fresh pass over the range's JSONL each call. */
  lines: () => Iterable<string>;
}

type BundleRow = {
  id: string; created_at: number; first_seq: number; end_seq: number; since_seconds: number; prefix: string;
  gz_sha256: string; gz_bytes: number; jsonl_sha256: string; jsonl_bytes: number;
};

export async function sealWindow(input: SealInput): Promise<
  { ok: true; value: { empty: false; bundle: BundleInfo; reused: boolean } } | { ok: false; error: SealError }
> {
  const { sql, store } = input;
  // The same range sealed in the same second has the same id (stamp + content hash): it is that bundle.
  const second = Math.floor(input.nowMs / 1000) * 1000;
  const existing = sql
    .exec<BundleRow>(
      "SELECT * FROM bundles WHERE first_seq = ? AND end_seq = ? AND created_at >= ? AND created_at < ?",
      input.first, input.end, second, second + 1000,
    )
    .toArray()[0];
  if (existing) return { ok: true, value: { empty: false, bundle: describe(existing, store), reused: true } };

  const digests: Partial<GzipDigests> = {};
  let firstPart: Uint8Array | undefined;
  let partCount = 0;
  for await (const part of gzipParts(input.lines(), EVIDENCE_PART_BYTES, digests)) {
    if (partCount++ === 0) firstPart = part;
  }
  const d = digests as GzipDigests;
  const id = bundleId(input.nowMs, d.gzSha256);
  const prefix = bundlePrefix(input.tenant, input.asset, input.nowMs, id);
  const recordsKey = prefix + RECORDS_FILE;
  const gzOpts = { contentType: "application/gzip", ifNoneMatch: true };

  if (partCount <= 1) {
    const put = await store.put(recordsKey, firstPart ?? new Uint8Array(), gzOpts);
    // "exists": the key embeds the content hash, so the same bytes are already there.
    if (!put.ok && put.error.code !== "exists") return storeFailure(put.error);
  } else {
    firstPart = undefined;
    const again: Partial<GzipDigests> = {};
    const put = await store.putParts(recordsKey, gzipParts(input.lines(), EVIDENCE_PART_BYTES, again), gzOpts);
    if (!put.ok && put.error.code !== "exists") return storeFailure(put.error);
    if (put.ok && again.gzSha256 !== d.gzSha256) {
      await store.delete([recordsKey]);
      throw new Error("gzip output differed between passes");
    }
  }

  const row: BundleRow = {
    id, created_at: input.nowMs, first_seq: input.first, end_seq: input.end, since_seconds: input.sinceSeconds,
    prefix, gz_sha256: d.gzSha256, gz_bytes: d.gzBytes, jsonl_sha256: d.jsonlSha256, jsonl_bytes: d.jsonlBytes,
  };
  const metadata = {
    timestamp: new Date(input.nowMs).toISOString(),
    line_count: input.end - input.first,
    since_seconds: input.sinceSeconds,
    asset: input.asset,
    sha256: d.gzSha256,
    compressed_size_bytes: d.gzBytes,
    tenant: input.tenant,
    bundle_id: id,
    first_seq: input.first,
    end_seq: input.end,
    uncompressed_sha256: d.jsonlSha256,
    uncompressed_size_bytes: d.jsonlBytes,
  };
  const meta = await store.put(prefix + METADATA_FILE, JSON.stringify(metadata, null, 2) + "\n", {
    contentType: "application/json", ifNoneMatch: true,
  });
  if (!meta.ok && meta.error.code !== "exists") return storeFailure(meta.error);

  sql.exec(
    `INSERT INTO bundles (id, created_at, first_seq, end_seq, since_seconds, prefix, gz_sha256, gz_bytes, jsonl_sha256, jsonl_bytes)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    row.id, row.created_at, row.first_seq, row.end_seq, row.since_seconds, row.prefix,
    row.gz_sha256, row.gz_bytes, row.jsonl_sha256, row.jsonl_bytes,
  );
  return { ok: true, value: { empty: false, bundle: describe(row, store), reused: false } };
}

function describe(row: BundleRow, store: EvidenceStore): BundleInfo {
  const recordsKey = row.prefix + RECORDS_FILE;
  return {
    id: row.id, prefix: row.prefix, created_at: new Date(row.created_at).toISOString(),
    first_seq: row.first_seq, end_seq: row.end_seq, line_count: row.end_seq - row.first_seq,
    since_seconds: row.since_seconds, gz_sha256: row.gz_sha256, gz_bytes: row.gz_bytes,
    jsonl_sha256: row.jsonl_sha256, jsonl_bytes: row.jsonl_bytes,
    provider: store.provider, bucket: store.bucket,
    records_key: recordsKey, metadata_key: row.prefix + METADATA_FILE, records_url: store.url(recordsKey),
  };
}

function storeFailure(error: { code: string; detail?: string }): { ok: false; error: SealError } {
  return { ok: false, error: { code: "store_error", detail: error.detail ?? error.code } };
}
