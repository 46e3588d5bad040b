/**
 * EvidenceStore on Azure Blob Storage through a container SAS (Put Blob, Put Block / Put Block
 * List, Get Blob, List Blobs, Delete Blob). The SAS token is a bearer credential: it is added to
 * request URLs only, and no URL with a query ever goes into an error.
 */
import type { DeleteReport, EvidenceStore, PutOptions, StoreResult, StoredObject } from "./evidence-store.ts";
import { StoreFailure } from "./evidence-store.ts";
import {
  answerFailure, badKey, discard, encodeKey, failed, networkFailure, sendWithRetry, STORE_MAX_RETRIES,
  type HttpOptions, type RequestStats,
} from "./store-http.ts";
import { xmlElements, xmlEscape, xmlFirst } from "./xml.ts";

/** REST API version sent as x-ms-version (Creation-Time in listings needs 2017-04-17 or later). */
export const AZURE_API_VERSION = "2023-11-03";
/** List Blobs page size (Azure's maximum is 5000). */
export const AZURE_LIST_PAGE = 1000;
/** Delete Blob has no batch form without multipart/mixed Blob Batch; this many run at once. */
export const AZURE_DELETE_CONCURRENCY = 8;

export interface AzureBlobStoreOptions {
  /** https://<account>.blob.core.windows.net/<container> (no query). */
  containerUrl: string;
  /** The container SAS query string (`sv=...&sig=...`, with or without a leading "?"). */
  sasToken: string;
  fetch?: typeof fetch;
  maxRetries?: number;
  listPageSize?: number;
}

type Sent = { ok: true; res: Response } | { ok: false; failure: { reason: StoreFailure["reason"]; detail: string } };

export class AzureBlobStore implements EvidenceStore {
  readonly provider = "azure-blob";
  /** The container name. */
  readonly bucket: string;
  readonly stats: RequestStats = { requests: 0, retries: 0 };
  readonly #container: string;
  readonly #sas: string;
  readonly #http: HttpOptions;
  readonly #pageSize: number;

  constructor(o: AzureBlobStoreOptions) {
    const u = new URL(o.containerUrl);
    this.#container = `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, "")}`;
    this.bucket = decodeURIComponent(u.pathname.split("/").filter(Boolean).pop() ?? "");
    this.#sas = o.sasToken.replace(/^\?/, "");
    this.#http = { fetch: o.fetch ?? ((input, init) => fetch(input, init)), maxRetries: o.maxRetries ?? STORE_MAX_RETRIES, stats: this.stats };
    this.#pageSize = o.listPageSize ?? AZURE_LIST_PAGE;
  }

  async #send(method: string, path: string, query: string, what: string, headers: Record<string, string> = {}, body?: Uint8Array): Promise<Sent> {
    const url = `${this.#container}${path}?${query ? `${query}&` : ""}${this.#sas}`;
    try {
      const res = await sendWithRetry(this.#http, async () => new Request(url, {
        method, headers: { "x-ms-version": AZURE_API_VERSION, ...headers }, ...(body ? { body } : {}),
      }));
      return { ok: true, res };
    } catch (e) {
      return { ok: false, failure: networkFailure(e, what) };
    }
  }

  async #write(key: string, query: string, what: string, headers: Record<string, string>, body: Uint8Array): Promise<StoreResult<true>> {
    const sent = await this.#send("PUT", `/${encodeKey(key)}`, query, what, headers, body);
    if (!sent.ok) return failed(sent.failure);
    const { res } = sent;
    if (res.ok) {
      await discard(res);
      return { ok: true, value: true };
    }
    // Azure answers If-None-Match: * on an existing blob with 409 BlobAlreadyExists (412 on some paths).
    if (res.status === 412 || (res.status === 409 && res.headers.get("x-ms-error-code") === "BlobAlreadyExists")) {
      await discard(res);
      return { ok: false, error: { code: "exists" } };
    }
    const f = await answerFailure(res, what);
    if (f.code === "BlobAlreadyExists") return { ok: false, error: { code: "exists" } };
    return failed(f);
  }

  async put(key: string, body: Uint8Array | string, opts: PutOptions): Promise<StoreResult<{ key: string }>> {
    const bad = badKey(key);
    if (bad) return failed({ reason: "other", detail: bad });
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    const res = await this.#write(key, "", `Azure Put Blob ${key}`, {
      "x-ms-blob-type": "BlockBlob", "content-type": opts.contentType, ...(opts.ifNoneMatch ? { "If-None-Match": "*" } : {}),
    }, bytes);
    return res.ok ? { ok: true, value: { key } } : res;
  }

  /**
   * Put Block per part (memory: one part), then Put Block List, conditional on the blob not
   * existing. Uncommitted blocks cannot be deleted by API; Azure discards them after 7 days.
   */
  async putParts(key: string, parts: AsyncIterable<Uint8Array>, opts: PutOptions): Promise<StoreResult<{ key: string; size: number }>> {
    const bad = badKey(key);
    if (bad) return failed({ reason: "other", detail: bad });
    const ids: string[] = [];
    let size = 0;
    try {
      for await (const part of parts) {
        // Block ids: base64, all of the same length within a blob.
        const id = btoa(`block-${String(ids.length).padStart(6, "0")}`);
        const res = await this.#write(key, `comp=block&blockid=${encodeURIComponent(id)}`, `Azure Put Block ${key} #${ids.length + 1}`, {}, part);
        if (!res.ok) return res;
        ids.push(id);
        size += part.byteLength;
      }
    } catch (e) {
      return failed({ reason: "other", detail: `Azure block upload ${key}: ${String((e as Error).message ?? e).slice(0, 200)}` });
    }
    const xml = `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids.map((id) => `<Latest>${xmlEscape(id)}</Latest>`).join("")}</BlockList>`;
    const res = await this.#write(key, "comp=blocklist", `Azure Put Block List ${key}`, {
      "content-type": "application/xml", "x-ms-blob-content-type": opts.contentType, ...(opts.ifNoneMatch ? { "If-None-Match": "*" } : {}),
    }, new TextEncoder().encode(xml));
    return res.ok ? { ok: true, value: { key, size } } : res;
  }

  async get(key: string): Promise<ReadableStream<Uint8Array> | null> {
    const what = `Azure Get Blob ${key}`;
    const sent = await this.#send("GET", `/${encodeKey(key)}`, "", what);
    if (!sent.ok) throw new StoreFailure(sent.failure.reason, sent.failure.detail);
    if (sent.res.ok && sent.res.body) return sent.res.body as ReadableStream<Uint8Array>;
    const f = await answerFailure(sent.res, what);
    if (f.code === "BlobNotFound") return null;
    throw new StoreFailure(f.reason, f.detail);
  }

  async list(prefix: string, cursor?: string): Promise<{ objects: StoredObject[]; cursor?: string }> {
    const q = new URLSearchParams({ restype: "container", comp: "list", prefix, maxresults: String(this.#pageSize) });
    if (cursor) q.set("marker", cursor);
    const what = `Azure List Blobs ${prefix}`;
    const sent = await this.#send("GET", "", q.toString().replaceAll("+", "%20"), what);
    if (!sent.ok) throw new StoreFailure(sent.failure.reason, sent.failure.detail);
    if (!sent.res.ok) {
      const f = await answerFailure(sent.res, what);
      throw new StoreFailure(f.reason, f.detail);
    }
    const xml = await sent.res.text();
    const objects = xmlElements(xml, "Blob").map((b) => ({
      key: xmlFirst(b, "Name") ?? "",
      size: Number(xmlFirst(b, "Content-Length") ?? 0),
      uploaded: new Date(xmlFirst(b, "Creation-Time") ?? xmlFirst(b, "Last-Modified") ?? 0),
    }));
    const next = xmlFirst(xml, "NextMarker");
    return next ? { objects, cursor: next } : { objects };
  }

  async delete(keys: string[]): Promise<DeleteReport> {
    const report: DeleteReport = { deleted: 0, failed: [] };
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const key = keys[next++]!;
        const what = `Azure Delete Blob ${key}`;
        const sent = await this.#send("DELETE", `/${encodeKey(key)}`, "", what);
        if (!sent.ok) {
          report.failed.push({ key, ...sent.failure });
          continue;
        }
        if (sent.res.ok) {
          await discard(sent.res);
          report.deleted++;
          continue;
        }
        const f = await answerFailure(sent.res, what);
        // Already gone counts as deleted: deletion is idempotent.
        if (f.code === "BlobNotFound") report.deleted++;
        else report.failed.push({ key, reason: f.reason, detail: f.detail });
      }
    };
    await Promise.all(Array.from({ length: Math.min(AZURE_DELETE_CONCURRENCY, keys.length) }, worker));
    return report;
  }

  /** The blob's address without the SAS: safe to show and log. */
  url(key: string): string {
    return `${this.#container}/${encodeKey(key)}`;
  }
}
