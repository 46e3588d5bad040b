/** Where evidence bundles are written (DESIGN.md section 9). Objects are never overwritten. */

export interface PutOptions {
  contentType: string;
  /** Create only: fail with `exists` rather than overwrite. */
  ifNoneMatch?: boolean;
}

export type StoreError = { code: "exists" } | { code: "store_error"; detail: string };
export type StoreResult<T> = { ok: true; value: T } | { ok: false; error: StoreError };

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
  get(key: string): Promise<ReadableStream<Uint8Array> | null>;
  list(prefix: string, cursor?: string): Promise<{ objects: StoredObject[]; cursor?: string }>;
  delete(keys: string[]): Promise<void>;
  /** A location string for humans and tools (`r2://bucket/key`). */
  url(key: string): string;
}
