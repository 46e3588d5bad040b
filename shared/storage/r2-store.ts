/** EvidenceStore on a Cloudflare R2 binding (the default sink). */
import type { DeleteReport, EvidenceStore, PutOptions, StoreResult, StoredObject } from "./evidence-store.ts";

export class R2Store implements EvidenceStore {
  readonly provider = "r2";
  readonly bucket: string;
  readonly #r2: R2Bucket;

  constructor(r2: R2Bucket, bucket: string) {
    this.#r2 = r2;
    this.bucket = bucket;
  }

  async put(key: string, body: Uint8Array | string, opts: PutOptions): Promise<StoreResult<{ key: string }>> {
    try {
      const res = await this.#r2.put(key, body, {
        httpMetadata: { contentType: opts.contentType },
        ...(opts.ifNoneMatch ? { onlyIf: new Headers({ "If-None-Match": "*" }) } : {}),
      });
      // R2 answers a failed precondition with null rather than an error.
      if (res === null) return { ok: false, error: { code: "exists" } };
      return { ok: true, value: { key } };
    } catch (e) {
      return { ok: false, error: { code: "store_error", detail: String((e as Error).message ?? e), reason: "other" } };
    }
  }

  async putParts(key: string, parts: AsyncIterable<Uint8Array>, opts: PutOptions): Promise<StoreResult<{ key: string; size: number }>> {
    // Multipart completion cannot be conditional, so check first: keys carry a content hash and a
    // second, so a collision means the same bytes were already written.
    if (opts.ifNoneMatch && (await this.#r2.head(key))) return { ok: false, error: { code: "exists" } };
    const upload = await this.#r2.createMultipartUpload(key, { httpMetadata: { contentType: opts.contentType } });
    const uploaded: R2UploadedPart[] = [];
    let size = 0;
    try {
      for await (const part of parts) {
        uploaded.push(await upload.uploadPart(uploaded.length + 1, part));
        size += part.byteLength;
      }
      await upload.complete(uploaded);
      return { ok: true, value: { key, size } };
    } catch (e) {
      await upload.abort().catch(() => undefined);
      return { ok: false, error: { code: "store_error", detail: String((e as Error).message ?? e), reason: "other" } };
    }
  }

  async get(key: string): Promise<ReadableStream<Uint8Array> | null> {
    const obj = await this.#r2.get(key);
    return obj ? (obj.body as ReadableStream<Uint8Array>) : null;
  }

  async list(prefix: string, cursor?: string): Promise<{ objects: StoredObject[]; cursor?: string }> {
    const res = await this.#r2.list({ prefix, ...(cursor ? { cursor } : {}) });
    const objects = res.objects.map((o) => ({ key: o.key, size: o.size, uploaded: o.uploaded }));
    return res.truncated ? { objects, cursor: res.cursor } : { objects };
  }

  async delete(keys: string[]): Promise<DeleteReport> {
    if (!keys.length) return { deleted: 0, failed: [] };
    try {
      await this.#r2.delete(keys);
      return { deleted: keys.length, failed: [] };
    } catch (e) {
      // The binding deletes a batch as a whole or fails it as a whole.
      const detail = String((e as Error).message ?? e);
      return { deleted: 0, failed: keys.map((key) => ({ key, reason: "other" as const, detail })) };
    }
  }

  url(key: string): string {
    return `r2://${this.bucket}/${key}`;
  }
}
