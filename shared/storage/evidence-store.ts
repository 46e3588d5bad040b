/** Where evidence bundles are written (DESIGN.md section 9). Objects are never overwritten. */

export interface PutOptions {
  contentType: string;
  /** Create only: fail with `exists` rather than overwrite. */
  ifNoneMatch?: boolean;
}

/**
 * Why a store call failed, for a clear message to the operator: `auth` (credentials rejected),
 * `bucket_missing` (no such bucket or container), `network` (the request never got an answer),
 * `locked` (object lock or an immutability policy refused it), `unavailable` (the store kept
 * answering 5xx or 429 after bounded retries), `config` (the sink cannot be built: a missing
 * secret, a refused endpoint), `other`.
 */
export type StoreErrorReason = "auth" | "bucket_missing" | "network" | "locked" | "unavailable" | "config" | "other";

/** `detail` never holds a credential, a signature or a SAS query string. */
export type StoreError = { code: "exists" } | { code: "store_error"; detail: string; reason?: StoreErrorReason };
export type StoreResult<T> = { ok: true; value: T } | { ok: false; error: StoreError };

/** Thrown by `get` and `list` (which have no result type) for the same failures. */
export class StoreFailure extends Error {
  readonly reason: StoreErrorReason;
  constructor(reason: StoreErrorReason, detail: string) {
    super(detail);
    this.name = "StoreFailure";
    this.reason = reason;
  }
}

/** What `delete` did: keys that could not be deleted are listed with the reason, never dropped. */
export interface DeleteReport {
  /** Keys gone (deleting a key that does not exist counts: deletion is idempotent). */
  deleted: number;
  failed: { key: string; reason: StoreErrorReason; detail: string }[];
}

export interface StoredObject {
  key: string;
  size: number;
  uploaded: Date;
}

export interface EvidenceStore {
  /** `r2`, `s3`, `azure-blob`: reported in evidence responses. */
  readonly provider: string;
  readonly bucket: string;
  put(key: string, body: Uint8Array | string, opts: PutOptions): Promise<StoreResult<{ key: string }>>;
  /**
   * Write one object from equal-sized parts (multipart upload); the last part may be shorter.
   * Memory use is one part, whatever the object size.
   */
  putParts(key: string, parts: AsyncIterable<Uint8Array>, opts: PutOptions): Promise<StoreResult<{ key: string; size: number }>>;
  /** The object's bytes, or null when there is no such object. Throws StoreFailure. */
  get(key: string): Promise<ReadableStream<Uint8Array> | null>;
  /** One page of objects under `prefix`; pass the returned cursor for the next. Throws StoreFailure. */
  list(prefix: string, cursor?: string): Promise<{ objects: StoredObject[]; cursor?: string }>;
  delete(keys: string[]): Promise<DeleteReport>;
  /** A location string for humans and tools (`r2://bucket/key`). */
  url(key: string): string;
}

/** The reason of a failed result (`other` when an older producer gave none). */
export function storeErrorReason(error: StoreError): StoreErrorReason | undefined {
  return error.code === "store_error" ? (error.reason ?? "other") : undefined;
}
