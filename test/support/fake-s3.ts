/**
 * A small S3 for tests, over real HTTP on 127.0.0.1, that enforces what installable servers do
 * not (s3rver accepts any secret and ignores If-None-Match and Object Lock):
 * - SigV4: the request is re-signed with aws4fetch's AwsV4Signer (the server's secret, the
 *   client's access key id, date, region and signed headers) and the Authorization headers are
 *   compared in constant time; the signed payload hash and Content-MD5 are checked against the body.
 * - If-None-Match: * on PutObject and CompleteMultipartUpload -> 412.
 * - Object Lock: retain-until in the future blocks DELETE and overwrite with 403 AccessDenied.
 *   (AWS proper, on a versioned bucket, answers a plain DELETE with a delete marker and keeps the
 *   locked version; this fake models the locked object simply as undeletable.)
 * - Multipart: create, upload part, complete (parts >= 5 MiB except the last), abort.
 * - ListObjectsV2 with max-keys and continuation tokens; DeleteObjects (Content-MD5 required).
 * - NoSuchBucket, path-style and virtual-host (`<bucket>.<virtualHostDomain>`) addressing.
 * - failNext(n): the next n requests answer 503, to observe client retries; `requestCount`.
 */
import { AwsV4Signer } from "aws4fetch";
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

const MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_SKEW_MS = 15 * 60_000;

export interface FakeS3Options {
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
  buckets: string[];
  /** Buckets with Object Lock enabled (lock headers elsewhere are refused, like S3). */
  objectLockBuckets?: string[];
  /** Host names `<bucket>.<domain>` address that bucket (virtual-host style). */
  virtualHostDomain?: string;
  /** Server-side cap on a list page (S3: 1000). */
  maxKeys?: number;
  now?: () => number;
}

export interface FakeObject {
  body: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
  lock?: { mode: string; until: Date };
}

interface Upload {
  bucket: string;
  key: string;
  contentType: string;
  lock?: { mode: string; until: Date };
  parts: Map<number, { body: Buffer; etag: string }>;
}

export interface LoggedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

const md5 = (b: Buffer) => createHash("md5").update(b).digest();
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
const unesc = (s: string) => s.replace(/&(amp|lt|gt|quot|apos);/g, (_m, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" })[e]!);

class S3Error extends Error {
  readonly status: number;
  readonly code: string;
  readonly extra: string;
  constructor(status: number, code: string, message: string, extra = "") {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

export class FakeS3 {
  readonly buckets = new Map<string, Map<string, FakeObject>>();
  readonly uploads = new Map<string, Upload>();
  readonly log: LoggedRequest[] = [];
  requestCount = 0;
  #failures = 0;
  #failStatus = 503;
  #server: Server | undefined;
  readonly #o: FakeS3Options;
  readonly #now: () => number;

  constructor(o: FakeS3Options) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    for (const b of o.buckets) this.buckets.set(b, new Map());
  }

  /** Start listening on 127.0.0.1 (a free port); returns the endpoint origin. */
  async start(): Promise<string> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((r) => this.#server!.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  get port(): number {
    return (this.#server!.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }

  /** The next `n` requests answer `status` (503 SlowDown-style) before anything else happens. */
  failNext(n: number, status = 503): void {
    this.#failures = n;
    this.#failStatus = status;
  }

  object(bucket: string, key: string): FakeObject | undefined {
    return this.buckets.get(bucket)?.get(key);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requestCount++;
    this.log.push({ method: req.method ?? "", url: req.url ?? "", headers: { ...req.headers } });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    try {
      if (this.#failures > 0) {
        this.#failures--;
        throw new S3Error(this.#failStatus, "ServiceUnavailable", "Please reduce your request rate.");
      }
      await this.#authenticate(req, body);
      const r = await this.#route(req, body);
      res.writeHead(r.status, r.headers ?? {});
      res.end(req.method === "HEAD" ? undefined : r.body);
    } catch (e) {
      const err = e instanceof S3Error ? e : new S3Error(500, "InternalError", String(e));
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${err.code}</Code><Message>${esc(err.message)}</Message>${err.extra}<RequestId>${randomUUID()}</RequestId></Error>`;
      res.writeHead(err.status, { "content-type": "application/xml" });
      res.end(req.method === "HEAD" ? undefined : xml);
    }
  }

  async #authenticate(req: IncomingMessage, body: Buffer): Promise<void> {
    const auth = req.headers.authorization ?? "";
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) throw new S3Error(403, "AccessDenied", "Access Denied");
    const [, keyId, , region, signedHeaders] = m;
    if (keyId !== this.#o.accessKeyId) throw new S3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
    if (region !== (this.#o.region ?? "us-east-1")) throw new S3Error(400, "AuthorizationHeaderMalformed", `the region '${region}' is wrong; expecting '${this.#o.region ?? "us-east-1"}'`);
    const date = String(req.headers["x-amz-date"] ?? "");
    const at = Date.parse(date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"));
    if (!Number.isFinite(at) || Math.abs(at - this.#now()) > MAX_SKEW_MS) throw new S3Error(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.");
    const names = signedHeaders!.split(";");
    if (!names.includes("host") || !names.includes("x-amz-date") || !names.includes("x-amz-content-sha256")) throw new S3Error(403, "AccessDenied", "Host, x-amz-date and x-amz-content-sha256 must be signed");
    const headers: Record<string, string> = {};
    for (const n of names) if (n !== "host") headers[n] = String(req.headers[n] ?? "");
    const signer = new AwsV4Signer({
      method: req.method, url: `http://${req.headers.host}${req.url}`, headers,
      accessKeyId: keyId!, secretAccessKey: this.#o.secretAccessKey, service: "s3", region: region!, datetime: date, allHeaders: true,
    });
    const expected = Buffer.from(await signer.authHeader());
    const given = Buffer.from(auth);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new S3Error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        `<CanonicalRequest>${esc(await signer.canonicalString())}</CanonicalRequest>`);
    }
    const sha = String(req.headers["x-amz-content-sha256"]);
    if (sha !== "UNSIGNED-PAYLOAD" && sha !== createHash("sha256").update(body).digest("hex")) {
      throw new S3Error(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    const givenMd5 = req.headers["content-md5"];
    if (givenMd5 !== undefined && givenMd5 !== md5(body).toString("base64")) throw new S3Error(400, "BadDigest", "The Content-MD5 you specified did not match what we received.");
  }

  #address(req: IncomingMessage): { bucket: string; key: string; query: URLSearchParams } {
    const u = new URL(`http://${req.headers.host}${req.url}`);
    const domain = this.#o.virtualHostDomain;
    const segments = u.pathname.split("/").slice(1).map(decodeURIComponent);
    if (domain && u.hostname.endsWith(`.${domain}`)) {
      return { bucket: u.hostname.slice(0, -domain.length - 1), key: segments.join("/"), query: u.searchParams };
    }
    return { bucket: segments[0] ?? "", key: segments.slice(1).join("/"), query: u.searchParams };
  }

  async #route(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers?: Record<string, string>; body?: string | Buffer }> {
    const { bucket, key, query } = this.#address(req);
    const objects = this.buckets.get(bucket);
    if (!objects) throw new S3Error(404, "NoSuchBucket", "The specified bucket does not exist", `<BucketName>${esc(bucket)}</BucketName>`);
    const method = req.method!;
    if (!key) {
      if (method === "GET" && query.get("list-type") === "2") return this.#list(bucket, objects, query);
      if (method === "POST" && query.has("delete")) return this.#deleteObjects(req, objects, body);
      throw new S3Error(501, "NotImplemented", `${method} on a bucket is not implemented by the fake`);
    }
    if (method === "POST" && query.has("uploads")) return this.#createUpload(req, bucket, key);
    if (method === "PUT" && query.has("uploadId")) return this.#uploadPart(req, query, body);
    if (method === "POST" && query.has("uploadId")) return this.#complete(req, objects, bucket, key, query, body);
    if (method === "DELETE" && query.has("uploadId")) {
      if (!this.uploads.delete(query.get("uploadId")!)) throw new S3Error(404, "NoSuchUpload", "The specified upload does not exist.");
      return { status: 204 };
    }
    if (method === "PUT") {
      if (req.headers["x-amz-copy-source"]) throw new S3Error(501, "NotImplemented", "copy is not implemented by the fake");
      const lock = this.#lockFrom(req, bucket);
      if (lock && !req.headers["content-md5"]) throw new S3Error(400, "InvalidRequest", "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters");
      this.#checkWritable(req, objects, key);
      const obj: FakeObject = { body, contentType: String(req.headers["content-type"] ?? "binary/octet-stream"), etag: `"${md5(body).toString("hex")}"`, lastModified: new Date(this.#now()), ...(lock ? { lock } : {}) };
      objects.set(key, obj);
      return { status: 200, headers: { etag: obj.etag } };
    }
    if (method === "GET" || method === "HEAD") {
      const obj = objects.get(key);
      if (!obj) throw new S3Error(404, "NoSuchKey", "The specified key does not exist.", `<Key>${esc(key)}</Key>`);
      return {
        status: 200, body: obj.body,
        headers: { "content-type": obj.contentType, "content-length": String(obj.body.length), etag: obj.etag, "last-modified": obj.lastModified.toUTCString() },
      };
    }
    if (method === "DELETE") {
      this.#checkUnlocked(objects.get(key));
      objects.delete(key);
      return { status: 204 };
    }
    throw new S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
  }

  #lockFrom(req: IncomingMessage, bucket: string): { mode: string; until: Date } | undefined {
    const mode = req.headers["x-amz-object-lock-mode"];
    const until = req.headers["x-amz-object-lock-retain-until-date"];
    if (mode === undefined && until === undefined) return undefined;
    if (!this.#o.objectLockBuckets?.includes(bucket)) throw new S3Error(400, "InvalidRequest", "Bucket is missing Object Lock Configuration");
    const at = Date.parse(String(until));
    if ((mode !== "COMPLIANCE" && mode !== "GOVERNANCE") || !Number.isFinite(at)) throw new S3Error(400, "InvalidArgument", "x-amz-object-lock-mode and x-amz-object-lock-retain-until-date must both be valid");
    if (at <= this.#now()) throw new S3Error(400, "InvalidArgument", "The retain until date must be in the future!");
    return { mode, until: new Date(at) };
  }

  #checkUnlocked(obj: FakeObject | undefined): void {
    if (obj?.lock && obj.lock.until.getTime() > this.#now()) throw new S3Error(403, "AccessDenied", "Access Denied because object protected by object lock.");
  }

  #checkWritable(req: IncomingMessage, objects: Map<string, FakeObject>, key: string): void {
    const existing = objects.get(key);
    if (req.headers["if-none-match"] === "*" && existing) throw new S3Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", "<Condition>If-None-Match</Condition>");
    this.#checkUnlocked(existing);
  }

  #list(bucket: string, objects: Map<string, FakeObject>, q: URLSearchParams) {
    const prefix = q.get("prefix") ?? "";
    const max = Math.min(Number(q.get("max-keys") ?? 1000), this.#o.maxKeys ?? 1000);
    const after = q.has("continuation-token") ? Buffer.from(q.get("continuation-token")!, "base64url").toString() : (q.get("start-after") ?? "");
    const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const page = keys.slice(0, max);
    const truncated = keys.length > page.length;
    const contents = page.map((k) => {
      const o = objects.get(k)!;
      return `<Contents><Key>${esc(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${esc(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    }).join("");
    const next = truncated ? `<NextContinuationToken>${Buffer.from(page.at(-1)!).toString("base64url")}</NextContinuationToken>` : "";
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${esc(bucket)}</Name><Prefix>${esc(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`;
    return { status: 200, headers: { "content-type": "application/xml" }, body: xml };
  }

  #deleteObjects(req: IncomingMessage, objects: Map<string, FakeObject>, body: Buffer) {
    if (!req.headers["content-md5"] && !Object.keys(req.headers).some((h) => h.startsWith("x-amz-checksum-"))) {
      throw new S3Error(400, "InvalidRequest", "Missing required header for this request: Content-MD5");
    }
    const xml = body.toString();
    const keys = [...xml.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) => unesc(m[1]!));
    if (keys.length > 1000) throw new S3Error(400, "MalformedXML", "at most 1000 keys per request");
    const quiet = /<Quiet>true<\/Quiet>/.test(xml);
    const out: string[] = [];
    for (const k of keys) {
      const obj = objects.get(k);
      if (obj?.lock && obj.lock.until.getTime() > this.#now()) {
        out.push(`<Error><Key>${esc(k)}</Key><Code>AccessDenied</Code><Message>Access Denied because object protected by object lock.</Message></Error>`);
        continue;
      }
      objects.delete(k);
      if (!quiet) out.push(`<Deleted><Key>${esc(k)}</Key></Deleted>`);
    }
    return { status: 200, headers: { "content-type": "application/xml" }, body: `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${out.join("")}</DeleteResult>` };
  }

  #createUpload(req: IncomingMessage, bucket: string, key: string) {
    const lock = this.#lockFrom(req, bucket);
    const id = randomUUID().replaceAll("-", "") + "~/+=";
    this.uploads.set(id, { bucket, key, contentType: String(req.headers["content-type"] ?? "binary/octet-stream"), ...(lock ? { lock } : {}), parts: new Map() });
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><UploadId>${esc(id)}</UploadId></InitiateMultipartUploadResult>`;
    return { status: 200, headers: { "content-type": "application/xml" }, body: xml };
  }

  #uploadPart(req: IncomingMessage, q: URLSearchParams, body: Buffer) {
    const upload = this.uploads.get(q.get("uploadId")!);
    if (!upload) throw new S3Error(404, "NoSuchUpload", "The specified upload does not exist.");
    const n = Number(q.get("partNumber"));
    if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new S3Error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");
    if (upload.lock && !req.headers["content-md5"]) throw new S3Error(400, "InvalidRequest", "Content-MD5 OR x-amz-checksum- HTTP header is required for Upload Part requests with Object Lock parameters");
    const etag = `"${md5(body).toString("hex")}"`;
    upload.parts.set(n, { body, etag });
    return { status: 200, headers: { etag } };
  }

  #complete(req: IncomingMessage, objects: Map<string, FakeObject>, bucket: string, key: string, q: URLSearchParams, body: Buffer) {
    const id = q.get("uploadId")!;
    const upload = this.uploads.get(id);
    if (!upload || upload.bucket !== bucket || upload.key !== key) throw new S3Error(404, "NoSuchUpload", "The specified upload does not exist.");
    const listed = [...body.toString().matchAll(/<Part>\s*<PartNumber>(\d+)<\/PartNumber>\s*<ETag>([\s\S]*?)<\/ETag>\s*<\/Part>/g)].map((m) => ({ n: Number(m[1]), etag: unesc(m[2]!) }));
    if (!listed.length) throw new S3Error(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema");
    const parts = listed.map(({ n, etag }, i) => {
      const p = upload.parts.get(n);
      if (!p || p.etag !== etag) throw new S3Error(400, "InvalidPart", "One or more of the specified parts could not be found.");
      if (i > 0 && listed[i - 1]!.n >= n) throw new S3Error(400, "InvalidPartOrder", "The list of parts was not in ascending order.");
      if (i < listed.length - 1 && p.body.length < MIN_PART_BYTES) throw new S3Error(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.");
      return p;
    });
    this.#checkWritable(req, objects, key);
    const all = Buffer.concat(parts.map((p) => p.body));
    const etag = `"${createHash("md5").update(Buffer.concat(parts.map((p) => md5(p.body)))).digest("hex")}-${parts.length}"`;
    objects.set(key, { body: all, contentType: upload.contentType, etag, lastModified: new Date(this.#now()), ...(upload.lock ? { lock: upload.lock } : {}) });
    this.uploads.delete(id);
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><ETag>${esc(etag)}</ETag></CompleteMultipartUploadResult>`;
    return { status: 200, headers: { "content-type": "application/xml" }, body: xml };
  }
}
