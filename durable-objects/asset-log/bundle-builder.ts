/**
 * Build one evidence bundle from a seq range and write it to the store
 * (DESIGN.md section 6): records.jsonl.gz (lines + "\n", gzip, header mtime 0),
 * statement.dsse.json (in-toto statement, JCS, DSSE, Ed25519) and metadata.json.
 *
 * The object key embeds sha256(gz), known only after compressing: a window that fits
 * in one part is compressed once and put from memory; a larger one is compressed again
 * and streamed as a multipart upload (gzip is deterministic; the second digest must match).
 * The Merkle roots come from stored frontiers, fixed at ingest. The bundle row (and so the
 * `previous` link of the next bundle) is written once the statement is signed, before the
 * upload; a failed upload leaves the row pending, retried with the same bytes by the alarm.
 */
import { BUNDLE_FILES, bundleId, bundlePrefix, METADATA_FILE, RECORDS_FILE, STATEMENT_FILE } from "../../shared/evidence/bundle-layout.ts";
import { signEnvelope, type SigningKey } from "../../shared/evidence/dsse.ts";
import type { CompactRange } from "../../shared/evidence/merkle.ts";
import { buildStatement, MERKLE_ALG, PAYLOAD_TYPE, statementBytes, type EvidencePredicate } from "../../shared/evidence/statement.ts";
import { sha256Hex, toHex } from "../../shared/hex.ts";
import { EVIDENCE_PART_BYTES, UPLOAD_INTERRUPTED_RETRY_MS, UPLOAD_PENDING_MAX_MS, UPLOAD_RETRY_BASE_MS, UPLOAD_RETRY_MAX_MS } from "../../shared/limits.ts";
import type { EvidenceStore, StoreError } from "../../shared/storage/evidence-store.ts";
import type { EvidenceStoreConfig } from "../../shared/tenant-config.ts";
import { SERVICE_NAME, SERVICE_VERSION } from "../../shared/version.ts";
import { gzipParts, type GzipDigests } from "./gzip-parts.ts";

export type UploadStatus = "stored" | "pending" | "failed";

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
  statement_sha256: string;
  kid: string;
  root_after: string;
  provider: string;
  bucket: string;
  records_key: string;
  statement_key: string;
  metadata_key: string;
  records_url: string;
  /** Whether the bundle's objects are in the store; pending ones are retried by the asset's alarm. */
  upload_status: UploadStatus;
  upload_attempts: number;
  upload_next_at: string | null;
  upload_error: string | null;
}

export type SealError =
  | { code: "store_error"; detail: string }
  | { code: "signing_unavailable"; detail: string }
  | { code: "store_misconfigured"; detail: string };

export interface SealInput {
  sql: SqlStorage;
  store: EvidenceStore;
  /** The tenant's store config as the retry will rebuild the store from it (secret names only). */
  storeConfig: EvidenceStoreConfig | undefined;
  signer: SigningKey;
  tenant: string;
  asset: string;
  first: number;
  end: number;
  sinceSeconds: number;
  nowMs: number;
  /** Start of the receive-time window the bundle answers (ms). */
  windowSinceMs: number;
  frontierBefore: CompactRange;
  frontierAfter: CompactRange;
  buffer: EvidencePredicate["buffer"];
  /** The redaction profiles that applied to the window's lines (none: null, and the predicate omits it). */
  redaction?: { from_seq: number; sha256: string }[] | null;
  /** The incident the bundle was sealed under (docs/incident-mode.md); null: none. */
  incident?: EvidencePredicate["incident"] | null;
  /** A fresh pass over the range's JSONL each call. */
  lines: () => Iterable<string>;
  /** Record the bundle in the tenant's index (for download by id). */
  indexBundle: (entry: { id: string; asset: string; prefix: string; created_at: number; store?: string }) => Promise<void>;
  random?: () => number;
}

export type BundleRow = {
  id: string; created_at: number; first_seq: number; end_seq: number; since_seconds: number; prefix: string;
  gz_sha256: string; gz_bytes: number; jsonl_sha256: string; jsonl_bytes: number;
  statement_sha256: string; kid: string; root_after: string;
  provider: string | null; bucket: string | null; records_url: string | null;
  upload_status: UploadStatus; upload_attempts: number; upload_next_at: number | null; upload_error: string | null;
  pending_statement: string | null; pending_metadata: string | null; store_config: string | null;
};

type Sealed = { ok: true; value: { empty: false; bundle: BundleInfo; reused: boolean } } | { ok: false; error: SealError };

/**
 * Seal [first, end): digest, sign, record, then upload. The bundle is recorded (and so chained
 * as the next bundle's `previous`) once signed; an upload that fails leaves it pending, retried
 * by `retryUpload` with the same bytes, so the chain never depends on the store being up.
 */
export async function sealWindow(input: SealInput): Promise<Sealed> {
  const { sql, store } = input;
  // The same range sealed in the same second has the same id (stamp + content hash): it is that bundle.
  const second = Math.floor(input.nowMs / 1000) * 1000;
  const existing = sql
    .exec<BundleRow>(
      "SELECT * FROM bundles WHERE first_seq = ? AND end_seq = ? AND created_at >= ? AND created_at < ?",
      input.first, input.end, second, second + 1000,
    )
    .toArray()[0];
  if (existing) return { ok: true, value: { empty: false, bundle: describe(existing), reused: true } };

  const digests: Partial<GzipDigests> = {};
  let firstPart: Uint8Array | undefined;
  let partCount = 0;
  for await (const part of gzipParts(input.lines(), EVIDENCE_PART_BYTES, digests)) {
    if (partCount++ === 0) firstPart = part;
  }
  const d = digests as GzipDigests;
  const id = bundleId(input.nowMs, d.gzSha256);
  const prefix = bundlePrefix(input.tenant, input.asset, input.nowMs, id);

  // Insertion order, not created_at: workerd's clock only moves on I/O, so seals in a row can share a millisecond.
  const previous = sql
    .exec<{ id: string; statement_sha256: string }>("SELECT id, statement_sha256 FROM bundles ORDER BY rowid DESC LIMIT 1")
    .toArray()[0];
  const predicate: EvidencePredicate = {
    tenant: input.tenant,
    asset: input.asset,
    bundle_id: id,
    created_at: new Date(input.nowMs).toISOString(),
    window: { since: new Date(input.windowSinceMs).toISOString(), until: new Date(input.nowMs).toISOString(), since_seconds: input.sinceSeconds },
    records: { first_seq: input.first, end_seq: input.end, count: input.end - input.first, bytes_uncompressed: d.jsonlBytes },
    merkle: {
      alg: MERKLE_ALG,
      tree_size_before: input.frontierBefore.size,
      root_before: toHex(input.frontierBefore.root()),
      frontier_before: input.frontierBefore.hashes.map((h) => toHex(h)),
      tree_size_after: input.frontierAfter.size,
      root_after: toHex(input.frontierAfter.root()),
    },
    previous: previous ? { bundle_id: previous.id, statement_sha256: previous.statement_sha256 } : null,
    buffer: input.buffer,
    ...(input.redaction ? { redaction: { profiles: input.redaction } } : {}),
    ...(input.incident ? { incident: input.incident } : {}),
    producer: { service: SERVICE_NAME, version: SERVICE_VERSION },
  };
  const payload = statementBytes(buildStatement(d.gzSha256, d.jsonlSha256, predicate));
  const envelope = await signEnvelope(PAYLOAD_TYPE, payload, input.signer);
  const metadata = {
    timestamp: predicate.created_at,
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
    statement: STATEMENT_FILE,
    kid: input.signer.kid,
  };
  const row: BundleRow = {
    id, created_at: input.nowMs, first_seq: input.first, end_seq: input.end, since_seconds: input.sinceSeconds,
    prefix, gz_sha256: d.gzSha256, gz_bytes: d.gzBytes, jsonl_sha256: d.jsonlSha256, jsonl_bytes: d.jsonlBytes,
    statement_sha256: await sha256Hex(payload as Uint8Array<ArrayBuffer>), kid: input.signer.kid, root_after: predicate.merkle.root_after,
    provider: store.provider, bucket: store.bucket, records_url: store.url(prefix + RECORDS_FILE),
    // Due already if this upload never reports back (the object died mid-upload): the alarm retries it.
    upload_status: "pending", upload_attempts: 0, upload_next_at: input.nowMs + UPLOAD_INTERRUPTED_RETRY_MS, upload_error: null,
    pending_statement: JSON.stringify(envelope, null, 2) + "\n", pending_metadata: JSON.stringify(metadata, null, 2) + "\n",
    store_config: JSON.stringify(input.storeConfig ?? { provider: "r2" }),
  };
  sql.exec(
    `INSERT INTO bundles (id, created_at, first_seq, end_seq, since_seconds, prefix, gz_sha256, gz_bytes, jsonl_sha256, jsonl_bytes,
       statement_sha256, kid, root_after, provider, bucket, records_url, upload_status, upload_attempts, upload_next_at, pending_statement, pending_metadata, store_config)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)`,
    row.id, row.created_at, row.first_seq, row.end_seq, row.since_seconds, row.prefix, row.gz_sha256, row.gz_bytes,
    row.jsonl_sha256, row.jsonl_bytes, row.statement_sha256, row.kid, row.root_after, row.provider, row.bucket, row.records_url,
    row.upload_next_at, row.pending_statement, row.pending_metadata, row.store_config,
  );
  const done = await uploadRow(sql, store, row, input.lines, partCount <= 1 ? firstPart ?? new Uint8Array() : undefined, input.indexBundle, input.nowMs, input.random);
  return { ok: true, value: { empty: false, bundle: describe(done), reused: false } };
}

/**
 * Upload a recorded bundle's objects (create-only: an object already there from an earlier
 * attempt holds the same bytes) and index it; record the outcome on the row. Returns the row.
 * `records` is the whole gzip when it fits one part; otherwise the lines are compressed again.
 */
export async function uploadRow(
  sql: SqlStorage, store: EvidenceStore, row: BundleRow, lines: () => Iterable<string>, records: Uint8Array | undefined,
  indexBundle: SealInput["indexBundle"], nowMs: number, random: () => number = Math.random, giveUpOnFailure = false,
): Promise<BundleRow> {
  const uploadError = await uploadObjects(store, row, lines, records).catch((e: unknown) => `upload: ${String((e as Error).message ?? e)}`);
  const error = uploadError ?? await indexBundle({ id: row.id, asset: assetOf(row), prefix: row.prefix, created_at: row.created_at, ...(row.store_config ? { store: row.store_config } : {}) })
    .then(() => null, (e: unknown) => `tenant bundle index: ${String((e as Error).message ?? e)}`);
  // When only the index failed, the objects are complete: giving up must not delete them.
  return recordUpload(sql, row, error, nowMs, uploadError === null ? null : store, random, giveUpOnFailure);
}

/** Record an upload attempt's outcome on the row: stored, pending with the next try, or failed for good. */
export async function recordUpload(
  sql: SqlStorage, row: BundleRow, error: string | null, nowMs: number, store: EvidenceStore | null, random: () => number = Math.random,
  giveUp = false,
): Promise<BundleRow> {
  const attempts = row.upload_attempts + 1;
  if (error === null) {
    sql.exec(
      "UPDATE bundles SET upload_status = 'stored', upload_attempts = ?, upload_next_at = NULL, upload_error = NULL, pending_statement = NULL, pending_metadata = NULL WHERE id = ?",
      attempts, row.id,
    );
    return { ...row, upload_status: "stored", upload_attempts: attempts, upload_next_at: null, upload_error: null, pending_statement: null, pending_metadata: null };
  }
  if (giveUp || nowMs - row.created_at >= UPLOAD_PENDING_MAX_MS) {
    // Given up: what an earlier attempt stored is removed, so no half bundle is left behind.
    await store?.delete(BUNDLE_FILES.map((f) => row.prefix + f)).catch(() => undefined);
    sql.exec("UPDATE bundles SET upload_status = 'failed', upload_attempts = ?, upload_next_at = NULL, upload_error = ? WHERE id = ?", attempts, error, row.id);
    return { ...row, upload_status: "failed", upload_attempts: attempts, upload_next_at: null, upload_error: error };
  }
  const backoff = Math.min(UPLOAD_RETRY_MAX_MS, UPLOAD_RETRY_BASE_MS * 2 ** (attempts - 1));
  const next = nowMs + Math.round(backoff * (0.5 + 0.5 * random()));
  sql.exec("UPDATE bundles SET upload_attempts = ?, upload_next_at = ?, upload_error = ? WHERE id = ?", attempts, next, error, row.id);
  return { ...row, upload_attempts: attempts, upload_next_at: next, upload_error: error };
}

/** Put the three objects; null when all are stored, else why not (never a secret). */
async function uploadObjects(store: EvidenceStore, row: BundleRow, lines: () => Iterable<string>, records: Uint8Array | undefined): Promise<string | null> {
  const put = async (file: string, body: Uint8Array | string, contentType: string): Promise<string | null> => {
    const res = await store.put(row.prefix + file, body, { contentType, ifNoneMatch: true });
    return res.ok || res.error.code === "exists" ? null : reasonOf(res.error);
  };
  if (records) {
    const e = await put(RECORDS_FILE, records, "application/gzip");
    if (e) return e;
  } else {
    const again: Partial<GzipDigests> = {};
    const res = await store.putParts(row.prefix + RECORDS_FILE, gzipParts(lines(), EVIDENCE_PART_BYTES, again), { contentType: "application/gzip", ifNoneMatch: true });
    if (!res.ok && res.error.code !== "exists") return reasonOf(res.error);
    if (res.ok && again.gzSha256 !== row.gz_sha256) {
      await store.delete([row.prefix + RECORDS_FILE]);
      throw new Error("gzip output differed between passes");
    }
  }
  const statement = await put(STATEMENT_FILE, row.pending_statement!, "application/json");
  if (statement) return statement;
  return put(METADATA_FILE, row.pending_metadata!, "application/json");
}

/** The gzip of a window that fits one part, checked against the digest it was sealed with. */
export async function gzipWhole(lines: Iterable<string>, gzSha256: string): Promise<Uint8Array> {
  const out: Partial<GzipDigests> = {};
  let whole: Uint8Array = new Uint8Array();
  for await (const part of gzipParts(lines, EVIDENCE_PART_BYTES, out)) whole = part;
  // gzip here is deterministic (mtime 0, one implementation); a difference means the lines changed.
  if (out.gzSha256 !== gzSha256) throw new Error("the stored lines no longer produce the sealed gzip");
  return whole;
}

function reasonOf(error: StoreError): string {
  return error.code === "store_error" ? `${error.reason ?? "other"}: ${error.detail}` : error.code;
}

/** The asset of a bundle row, from its key prefix (evidence/<tenant>/<asset...>/yyyy/mm/dd/<id>/). */
function assetOf(row: BundleRow): string {
  const parts = row.prefix.split("/");
  return decodeURIComponent(parts.slice(2, -5).join("/"));
}

export function describe(row: BundleRow): BundleInfo {
  const recordsKey = row.prefix + RECORDS_FILE;
  return {
    id: row.id, prefix: row.prefix, created_at: new Date(row.created_at).toISOString(),
    first_seq: row.first_seq, end_seq: row.end_seq, line_count: row.end_seq - row.first_seq,
    since_seconds: row.since_seconds, gz_sha256: row.gz_sha256, gz_bytes: row.gz_bytes,
    jsonl_sha256: row.jsonl_sha256, jsonl_bytes: row.jsonl_bytes,
    statement_sha256: row.statement_sha256, kid: row.kid, root_after: row.root_after,
    provider: row.provider ?? "r2", bucket: row.bucket ?? "", records_url: row.records_url ?? recordsKey,
    records_key: recordsKey, statement_key: row.prefix + STATEMENT_FILE, metadata_key: row.prefix + METADATA_FILE,
    upload_status: row.upload_status, upload_attempts: row.upload_attempts,
    upload_next_at: row.upload_next_at === null ? null : new Date(row.upload_next_at).toISOString(), upload_error: row.upload_error,
  };
}
