/**
 * Build one evidence bundle from a seq range and write it to the store
 * (DESIGN.md section 6): records.jsonl.gz (lines + "\n", gzip, header mtime 0),
 * statement.dsse.json (in-toto statement, JCS, DSSE, Ed25519) and metadata.json.
 *
 * The object key embeds sha256(gz), known only after compressing: a window that fits
 * in one part is compressed once and put from memory; a larger one is compressed again
 * and streamed as a multipart upload (gzip is deterministic; the second digest must match).
 * The Merkle roots come from stored frontiers, fixed at ingest; the bundle row, and so
 * the `previous` link of the next bundle, is written only once every object is stored.
 */
import { bundleId, bundlePrefix, METADATA_FILE, RECORDS_FILE, STATEMENT_FILE } from "../../shared/evidence/bundle-layout.ts";
import { parseEnvelope, signEnvelope, type SigningKey } from "../../shared/evidence/dsse.ts";
import type { CompactRange } from "../../shared/evidence/merkle.ts";
import { buildStatement, MERKLE_ALG, PAYLOAD_TYPE, statementBytes, type EvidencePredicate } from "../../shared/evidence/statement.ts";
import { fromBase64, sha256Hex, toHex } from "../../shared/hex.ts";
import { EVIDENCE_PART_BYTES } from "../../shared/limits.ts";
import type { EvidenceStore, StoreError } from "../../shared/storage/evidence-store.ts";
import { SERVICE_NAME, SERVICE_VERSION } from "../../shared/version.ts";
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
  statement_sha256: string;
  kid: string;
  root_after: string;
  provider: string;
  bucket: string;
  records_key: string;
  statement_key: string;
  metadata_key: string;
  records_url: string;
}

export type SealError = { code: "store_error"; detail: string } | { code: "signing_unavailable"; detail: string };

export interface SealInput {
  sql: SqlStorage;
  store: EvidenceStore;
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
  /** A fresh pass over the range's JSONL each call. */
  lines: () => Iterable<string>;
  /** Record the bundle in the tenant's index (for download by id). */
  indexBundle: (entry: { id: string; asset: string; prefix: string; created_at: number }) => Promise<void>;
}

export type BundleRow = {
  id: string; created_at: number; first_seq: number; end_seq: number; since_seconds: number; prefix: string;
  gz_sha256: string; gz_bytes: number; jsonl_sha256: string; jsonl_bytes: number;
  statement_sha256: string; kid: string; root_after: string;
};

type Sealed = { ok: true; value: { empty: false; bundle: BundleInfo; reused: boolean } } | { ok: false; error: SealError };

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
  // Objects this call created; removed again if a later step fails, so a failed seal leaves nothing.
  const created: string[] = [];
  const fail = async (error: SealError): Promise<Sealed> => {
    await store.delete(created).catch(() => undefined);
    return { ok: false, error };
  };
  const put = async (file: string, body: Uint8Array | string, contentType: string): Promise<SealError | "exists" | null> => {
    const res = await store.put(prefix + file, body, { contentType, ifNoneMatch: true });
    if (res.ok) created.push(prefix + file);
    // "exists": the key embeds the content hash and the second, so this is an earlier attempt's object.
    return res.ok ? null : res.error.code === "exists" ? "exists" : storeError(res.error);
  };

  if (partCount <= 1) {
    const err = await put(RECORDS_FILE, firstPart ?? new Uint8Array(), "application/gzip");
    if (err && err !== "exists") return fail(err);
  } else {
    firstPart = undefined;
    const again: Partial<GzipDigests> = {};
    const res = await store.putParts(prefix + RECORDS_FILE, gzipParts(input.lines(), EVIDENCE_PART_BYTES, again), { contentType: "application/gzip", ifNoneMatch: true });
    if (res.ok) created.push(prefix + RECORDS_FILE);
    else if (res.error.code !== "exists") return fail(storeError(res.error));
    if (res.ok && again.gzSha256 !== d.gzSha256) {
      await store.delete(created);
      throw new Error("gzip output differed between passes");
    }
  }

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
    producer: { service: SERVICE_NAME, version: SERVICE_VERSION },
  };
  let payload = statementBytes(buildStatement(d.gzSha256, d.jsonlSha256, predicate));
  const envelope = await signEnvelope(PAYLOAD_TYPE, payload, input.signer);
  const statementErr = await put(STATEMENT_FILE, JSON.stringify(envelope, null, 2) + "\n", "application/json");
  if (statementErr === "exists") {
    // An earlier attempt in the same second signed first: its statement is the one on record.
    const stored = await storedPayload(store, prefix + STATEMENT_FILE);
    if (!stored) return fail({ code: "store_error", detail: "existing statement unreadable" });
    payload = stored;
  } else if (statementErr) {
    return fail(statementErr);
  }

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
  const metaErr = await put(METADATA_FILE, JSON.stringify(metadata, null, 2) + "\n", "application/json");
  if (metaErr && metaErr !== "exists") return fail(metaErr);

  try {
    await input.indexBundle({ id, asset: input.asset, prefix, created_at: input.nowMs });
  } catch (e) {
    return fail({ code: "store_error", detail: `tenant bundle index: ${String((e as Error).message ?? e)}` });
  }
  const row: BundleRow = {
    id, created_at: input.nowMs, first_seq: input.first, end_seq: input.end, since_seconds: input.sinceSeconds,
    prefix, gz_sha256: d.gzSha256, gz_bytes: d.gzBytes, jsonl_sha256: d.jsonlSha256, jsonl_bytes: d.jsonlBytes,
    statement_sha256: await sha256Hex(payload as Uint8Array<ArrayBuffer>), kid: input.signer.kid, root_after: predicate.merkle.root_after,
  };
  sql.exec(
    `INSERT INTO bundles (id, created_at, first_seq, end_seq, since_seconds, prefix, gz_sha256, gz_bytes, jsonl_sha256, jsonl_bytes, statement_sha256, kid, root_after)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    row.id, row.created_at, row.first_seq, row.end_seq, row.since_seconds, row.prefix, row.gz_sha256, row.gz_bytes,
    row.jsonl_sha256, row.jsonl_bytes, row.statement_sha256, row.kid, row.root_after,
  );
  return { ok: true, value: { empty: false, bundle: describe(row, store), reused: false } };
}

/** The DSSE payload bytes of a statement already in the store. */
async function storedPayload(store: EvidenceStore, key: string): Promise<Uint8Array | null> {
  const body = await store.get(key);
  if (!body) return null;
  const envelope = parseEnvelope(await new Response(body).text());
  return envelope ? fromBase64(envelope.payload) : null;
}

export function describe(row: BundleRow, store: EvidenceStore): BundleInfo {
  const recordsKey = row.prefix + RECORDS_FILE;
  return {
    id: row.id, prefix: row.prefix, created_at: new Date(row.created_at).toISOString(),
    first_seq: row.first_seq, end_seq: row.end_seq, line_count: row.end_seq - row.first_seq,
    since_seconds: row.since_seconds, gz_sha256: row.gz_sha256, gz_bytes: row.gz_bytes,
    jsonl_sha256: row.jsonl_sha256, jsonl_bytes: row.jsonl_bytes,
    statement_sha256: row.statement_sha256, kid: row.kid, root_after: row.root_after,
    provider: store.provider, bucket: store.bucket,
    records_key: recordsKey, statement_key: row.prefix + STATEMENT_FILE, metadata_key: row.prefix + METADATA_FILE,
    records_url: store.url(recordsKey),
  };
}

function storeError(error: StoreError): SealError {
  return { code: "store_error", detail: error.code === "store_error" ? error.detail : error.code };
}
