/**
 * EvidenceStore on any S3-compatible API (AWS S3, R2's S3 API, MinIO, Ceph, GCS interoperability),
 * signed with SigV4 by aws4fetch. Plain fetch, so it runs unchanged in workerd and Node 22.
 */
import { AwsClient } from "aws4fetch";
import { createHash } from "node:crypto";
import type { DeleteReport, EvidenceStore, PutOptions, StoreResult, StoredObject } from "./evidence-store.ts";
import { StoreFailure } from "./evidence-store.ts";
import {
  allFailed, answerFailure, badKey, classify, discard, encodeKey, failed, networkFailure, sendWithRetry,
  STORE_MAX_RETRIES, type HttpOptions, type RequestStats,
} from "./store-http.ts";
import { xmlElements, xmlEscape, xmlFirst } from "./xml.ts";

/** DeleteObjects takes at most this many keys per request (an S3 limit). */
export const S3_DELETE_BATCH = 1000;
/** ListObjectsV2 page size (S3 answers at most 1000 keys per page whatever is asked). */
export const S3_LIST_PAGE = 1000;
const DAY_MS = 86_400_000;

export interface S3ObjectLock {
  mode: "COMPLIANCE" | "GOVERNANCE";
  retainDays: number;
}

export interface S3StoreOptions {
  /** Service origin, e.g. https://s3.eu-central-1.amazonaws.com or https://<account>.r2.cloudflarestorage.com. */
  endpoint: string;
  region: string;
  bucket: string;
  /** true: https://endpoint/bucket/key; false: https://bucket.endpoint/key (virtual-host). */
  pathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  /**
   * The store honours `If-None-Match: *` on PutObject and CompleteMultipartUpload (AWS since
   * 2024, R2, MinIO). When false, create-only writes check with HEAD first, which leaves a
   * window in which a concurrent writer could win; keys carry a content hash, so the loser
   * rewrites identical bytes.
   */
  conditionalWrites?: boolean;
  /** Object Lock retention put on every object written (the bucket must have Object Lock enabled). */
  objectLock?: S3ObjectLock;
  fetch?: typeof fetch;
  maxRetries?: number;
  listPageSize?: number;
  now?: () => number;
}

/** One signed request: its method, URL and extra headers; the body's hash is signed too. */
interface S3Request {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
}

const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");

/**
 * Content-MD5 (base64): S3 demands it on DeleteObjects and on writes under Object Lock. WebCrypto
 * has no MD5 in Node, so node:crypto, which both Node and workerd (nodejs_compat) provide.
 */
const contentMd5 = (body: Uint8Array) => createHash("md5").update(body).digest("base64");

export class S3Store implements EvidenceStore {
  readonly provider = "s3";
  readonly bucket: string;
  /** Subrequests made and how many of them were retries. */
  readonly stats: RequestStats = { requests: 0, retries: 0 };
  readonly #client: AwsClient;
  readonly #base: string;
  readonly #http: HttpOptions;
  readonly #conditional: boolean;
  readonly #lock: S3ObjectLock | undefined;
  readonly #pageSize: number;
  readonly #now: () => number;

  constructor(o: S3StoreOptions) {
    this.bucket = o.bucket;
    // retries: 0 — aws4fetch's own loop (10 retries by default) calls the global fetch and
    // counts nothing; sendWithRetry re-signs each attempt and counts it.
    this.#client = new AwsClient({ accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey, service: "s3", region: o.region, retries: 0 });
    const u = new URL(o.endpoint);
    const path = u.pathname.replace(/\/+$/, "");
    this.#base = o.pathStyle ? `${u.protocol}//${u.host}${path}/${o.bucket}` : `${u.protocol}//${o.bucket}.${u.host}${path}`;
    const f = o.fetch ?? ((input, init) => fetch(input, init));
    this.#http = { fetch: f, maxRetries: o.maxRetries ?? STORE_MAX_RETRIES, stats: this.stats };
    this.#conditional = o.conditionalWrites ?? true;
    this.#lock = o.objectLock;
    this.#pageSize = Math.min(o.listPageSize ?? S3_LIST_PAGE, S3_LIST_PAGE);
    this.#now = o.now ?? Date.now;
  }

  /** Object URL, with an optional raw query ("uploads", "partNumber=1&uploadId=..."). */
  #objectUrl(key: string, query?: string): string {
    return `${this.#base}/${encodeKey(key)}${query ? `?${query}` : ""}`;
  }

  /** Send a signed request with bounded retries. Throws only when no answer came at all. */
  async #send(r: S3Request): Promise<Response> {
    const body = r.body ?? new Uint8Array(0);
    // Sign the payload hash rather than UNSIGNED-PAYLOAD: the store then rejects altered bytes.
    const sha = hex(await crypto.subtle.digest("SHA-256", body));
    const headers = { ...r.headers, "x-amz-content-sha256": sha };
    return sendWithRetry(this.#http, () =>
      this.#client.sign(r.url, { method: r.method, headers, ...(r.body ? { body: r.body } : {}) }));
  }

  /** Object Lock headers for a new object (and the MD5 S3 then requires of its bytes). */
  #lockHeaders(): Record<string, string> {
    if (!this.#lock) return {};
    const until = new Date(this.#now() + this.#lock.retainDays * DAY_MS).toISOString();
    return { "x-amz-object-lock-mode": this.#lock.mode, "x-amz-object-lock-retain-until-date": until };
  }

  /** For create-only writes on stores without conditional writes: does the key exist? */
  async #exists(key: string): Promise<StoreResult<boolean>> {
    let res: Response;
    try {
      res = await this.#send({ method: "HEAD", url: this.#objectUrl(key) });
    } catch (e) {
      return failed(networkFailure(e, `S3 HEAD ${key}`));
    }
    if (res.ok || res.status === 404) {
      await discard(res);
      return { ok: true, value: res.ok };
    }
    return failed(await answerFailure(res, `S3 HEAD ${key}`));
  }

  /** Checks before a create-only write; null means go ahead (with If-None-Match when supported). */
  async #precheck(key: string, opts: PutOptions): Promise<StoreResult<never> | null> {
    const bad = badKey(key);
    if (bad) return failed({ reason: "other", detail: bad });
    if (!opts.ifNoneMatch || this.#conditional) return null;
    const exists = await this.#exists(key);
    if (!exists.ok) return exists;
    return exists.value ? { ok: false, error: { code: "exists" } } : null;
  }

  #conditionalHeader(opts: PutOptions): Record<string, string> {
    return opts.ifNoneMatch && this.#conditional ? { "If-None-Match": "*" } : {};
  }

  async put(key: string, body: Uint8Array | string, opts: PutOptions): Promise<StoreResult<{ key: string }>> {
    const pre = await this.#precheck(key, opts);
    if (pre) return pre;
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    const what = `S3 PUT ${key}`;
    let res: Response;
    try {
      res = await this.#send({
        method: "PUT", url: this.#objectUrl(key), body: bytes,
        headers: {
          "content-type": opts.contentType, ...this.#conditionalHeader(opts), ...this.#lockHeaders(),
          ...(this.#lock ? { "content-md5": contentMd5(bytes) } : {}),
        },
      });
    } catch (e) {
      return failed(networkFailure(e, what));
    }
    if (res.status === 412) {
      await discard(res);
      return { ok: false, error: { code: "exists" } };
    }
    if (!res.ok) return failed(await answerFailure(res, what));
    await discard(res);
    return { ok: true, value: { key } };
  }

  /**
   * CreateMultipartUpload, one UploadPart per part as it arrives (memory: one part), then
   * CompleteMultipartUpload, conditional where supported. Any failure aborts the upload, so no
   * parts are left billed in the bucket.
   */
  async putParts(key: string, parts: AsyncIterable<Uint8Array>, opts: PutOptions): Promise<StoreResult<{ key: string; size: number }>> {
    const pre = await this.#precheck(key, opts);
    if (pre) return pre;
    const what = `S3 multipart ${key}`;
    let res: Response;
    try {
      res = await this.#send({ method: "POST", url: this.#objectUrl(key, "uploads"), headers: { "content-type": opts.contentType, ...this.#lockHeaders() } });
    } catch (e) {
      return failed(networkFailure(e, `${what} create`));
    }
    if (!res.ok) return failed(await answerFailure(res, `${what} create`));
    const uploadId = xmlFirst(await res.text(), "UploadId");
    if (!uploadId) return failed({ reason: "other", detail: `${what} create: no UploadId in the answer` });
    const result = await this.#uploadParts(key, uploadId, parts, opts).catch((e: unknown) => failed<{ key: string; size: number }>({
      reason: "other", detail: `${what}: ${String((e as Error).message ?? e).slice(0, 200)}`,
    }));
    if (!result.ok) {
      // Best effort: a lifecycle rule (AbortIncompleteMultipartUpload) catches what this misses.
      await this.#send({ method: "DELETE", url: this.#objectUrl(key, `uploadId=${encodeURIComponent(uploadId)}`) }).then(discard, () => undefined);
    }
    return result;
  }

  async #uploadParts(key: string, uploadId: string, parts: AsyncIterable<Uint8Array>, opts: PutOptions): Promise<StoreResult<{ key: string; size: number }>> {
    const what = `S3 multipart ${key}`;
    const id = encodeURIComponent(uploadId);
    const etags: string[] = [];
    let size = 0;
    const upload = async (part: Uint8Array): Promise<StoreResult<never> | null> => {
      const n = etags.length + 1;
      let res: Response;
      try {
        res = await this.#send({
          method: "PUT", url: this.#objectUrl(key, `partNumber=${n}&uploadId=${id}`), body: part,
          headers: this.#lock ? { "content-md5": contentMd5(part) } : {},
        });
      } catch (e) {
        return failed(networkFailure(e, `${what} part ${n}`));
      }
      if (!res.ok) return failed(await answerFailure(res, `${what} part ${n}`));
      await discard(res);
      const etag = res.headers.get("etag");
      if (!etag) return failed({ reason: "other", detail: `${what} part ${n}: no ETag in the answer` });
      etags.push(etag);
      size += part.byteLength;
      return null;
    };
    for await (const part of parts) {
      const err = await upload(part);
      if (err) return err;
    }
    // S3 needs at least one part; a lone last part may be empty.
    if (!etags.length) {
      const err = await upload(new Uint8Array(0));
      if (err) return err;
    }
    const xml = `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${
      etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${xmlEscape(e)}</ETag></Part>`).join("")}</CompleteMultipartUpload>`;
    let res: Response;
    try {
      res = await this.#send({
        method: "POST", url: this.#objectUrl(key, `uploadId=${id}`), body: new TextEncoder().encode(xml),
        headers: { "content-type": "application/xml", ...this.#conditionalHeader(opts) },
      });
    } catch (e) {
      return failed(networkFailure(e, `${what} complete`));
    }
    if (res.status === 412) {
      await discard(res);
      return { ok: false, error: { code: "exists" } };
    }
    if (!res.ok) return failed(await answerFailure(res, `${what} complete`));
    // S3 may answer 200 and then report an error in the body (the work took long).
    const answer = await res.text();
    if (xmlElements(answer, "Error").length) {
      return failed({ reason: classify(200, xmlFirst(answer, "Code"), xmlFirst(answer, "Message")), detail: `${what} complete: ${xmlFirst(answer, "Code") ?? "error"}` });
    }
    return { ok: true, value: { key, size } };
  }

  async get(key: string): Promise<ReadableStream<Uint8Array> | null> {
    const what = `S3 GET ${key}`;
    let res: Response;
    try {
      res = await this.#send({ method: "GET", url: this.#objectUrl(key) });
    } catch (e) {
      const f = networkFailure(e, what);
      throw new StoreFailure(f.reason, f.detail);
    }
    if (res.ok && res.body) return res.body as ReadableStream<Uint8Array>;
    const f = await answerFailure(res, what);
    if (res.status === 404 && f.code !== "NoSuchBucket") return null;
    throw new StoreFailure(f.reason, f.detail);
  }

  async list(prefix: string, cursor?: string): Promise<{ objects: StoredObject[]; cursor?: string }> {
    const q = new URLSearchParams({ "list-type": "2", prefix, "max-keys": String(this.#pageSize) });
    if (cursor) q.set("continuation-token", cursor);
    const what = `S3 ListObjectsV2 ${prefix}`;
    let res: Response;
    try {
      res = await this.#send({ method: "GET", url: `${this.#base}?${q.toString().replaceAll("+", "%20")}` });
    } catch (e) {
      const f = networkFailure(e, what);
      throw new StoreFailure(f.reason, f.detail);
    }
    if (!res.ok) {
      const f = await answerFailure(res, what);
      throw new StoreFailure(f.reason, f.detail);
    }
    const xml = await res.text();
    const objects = xmlElements(xml, "Contents").map((c) => ({
      key: xmlFirst(c, "Key") ?? "",
      size: Number(xmlFirst(c, "Size") ?? 0),
      uploaded: new Date(xmlFirst(c, "LastModified") ?? 0),
    }));
    const next = xmlFirst(xml, "IsTruncated") === "true" ? xmlFirst(xml, "NextContinuationToken") : undefined;
    return next ? { objects, cursor: next } : { objects };
  }

  async delete(keys: string[]): Promise<DeleteReport> {
    const report: DeleteReport = { deleted: 0, failed: [] };
    for (let i = 0; i < keys.length; i += S3_DELETE_BATCH) {
      const batch = keys.slice(i, i + S3_DELETE_BATCH);
      const part = await this.#deleteBatch(batch);
      report.deleted += part.deleted;
      report.failed.push(...part.failed);
    }
    return report;
  }

  async #deleteBatch(keys: string[]): Promise<DeleteReport> {
    // Quiet mode: the answer lists only the keys that failed.
    const xml = `<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>${
      keys.map((k) => `<Object><Key>${xmlEscape(k)}</Key></Object>`).join("")}</Delete>`;
    const body = new TextEncoder().encode(xml);
    const what = `S3 DeleteObjects (${keys.length} keys)`;
    let res: Response;
    try {
      res = await this.#send({ method: "POST", url: `${this.#base}?delete`, body, headers: { "content-type": "application/xml", "content-md5": contentMd5(body) } });
    } catch (e) {
      return allFailed(keys, networkFailure(e, what));
    }
    if (!res.ok) return allFailed(keys, await answerFailure(res, what));
    const failedKeys = xmlElements(await res.text(), "Error").map((e) => {
      const code = xmlFirst(e, "Code") ?? "Unknown";
      const key = xmlFirst(e, "Key") ?? "";
      const message = xmlFirst(e, "Message") ?? "";
      const reason = classifyDeleteError(code, message);
      return { key, reason, detail: `S3 delete ${key}: ${code}${message ? `: ${message.slice(0, 200)}` : ""}` };
    });
    return { deleted: keys.length - failedKeys.length, failed: failedKeys };
  }

  url(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }
}

function classifyDeleteError(code: string, message: string) {
  return code === "InternalError" || code === "SlowDown" ? "unavailable" as const : classify(0, code, message);
}
