/**
 * A small Azure Blob service for tests, over real HTTP on 127.0.0.1 (Azurite-style paths:
 * /<account>/<container>/<blob>). It checks what Azure checks for a container SAS: `sv`, `sr=c`,
 * `sp` holding the permission the operation needs, `se` not past, and `sig` equal to the
 * configured signature (compared in constant time); and the headers: `x-ms-version` always,
 * `x-ms-blob-type: BlockBlob` on Put Blob. Put Blob, Put Block, Put Block List, Get Blob, List
 * Blobs (prefix, maxresults, marker), Delete Blob; If-None-Match: * -> 409 BlobAlreadyExists.
 * Errors carry `x-ms-error-code` and an XML body, as Azure's do.
 */
import { randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeAzureOptions {
  account: string;
  containers: string[];
  /** The SAS signature the service accepts (Azure computes it; here it is configured). */
  sig: string;
  now?: () => number;
}

export interface FakeBlob {
  body: Buffer;
  contentType: string;
  created: Date;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);

class AzureError extends Error {
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

/** A container SAS query string as Azure issues them (fields in Azure's order). */
export function sasToken(o: { sig: string; sp?: string; se?: Date; sv?: string }): string {
  const q = new URLSearchParams({ sv: o.sv ?? "2023-11-03", sr: "c", sp: o.sp ?? "rcwdl", se: (o.se ?? new Date(Date.now() + 3600_000)).toISOString().replace(/\.\d{3}Z$/, "Z"), sig: o.sig });
  return q.toString();
}

export class FakeAzureBlob {
  readonly containers = new Map<string, Map<string, FakeBlob>>();
  /** Uncommitted blocks per "container/blob". */
  readonly blocks = new Map<string, Map<string, Buffer>>();
  readonly log: { method: string; path: string; headers: Record<string, string | string[] | undefined> }[] = [];
  requestCount = 0;
  #failures = 0;
  #server: Server | undefined;
  readonly #o: FakeAzureOptions;
  readonly #now: () => number;

  constructor(o: FakeAzureOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    for (const c of o.containers) this.containers.set(c, new Map());
  }

  /** Start on 127.0.0.1; returns the base URL (`http://127.0.0.1:<port>/<account>`). */
  async start(): Promise<string> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((r) => this.#server!.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/${this.#o.account}`;
  }

  close(): Promise<void> {
    return new Promise((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }

  failNext(n: number): void {
    this.#failures = n;
  }

  blob(container: string, name: string): FakeBlob | undefined {
    return this.containers.get(container)?.get(name);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requestCount++;
    const u = new URL(`http://${req.headers.host}${req.url}`);
    this.log.push({ method: req.method ?? "", path: u.pathname, headers: { ...req.headers } });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    try {
      if (this.#failures > 0) {
        this.#failures--;
        throw new AzureError(503, "ServerBusy", "The server is currently unable to receive requests. Please retry your request.");
      }
      const r = this.#route(req, u, body);
      res.writeHead(r.status, { "x-ms-version": "2023-11-03", ...r.headers });
      res.end(r.body);
    } catch (e) {
      const err = e instanceof AzureError ? e : new AzureError(500, "InternalError", String(e));
      const xml = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${err.code}</Code><Message>${esc(err.message)}\nRequestId:${randomUUID()}\nTime:${new Date(this.#now()).toISOString()}</Message>${err.extra}</Error>`;
      res.writeHead(err.status, { "content-type": "application/xml", "x-ms-error-code": err.code });
      res.end(req.method === "HEAD" ? undefined : xml);
    }
  }

  #authorize(q: URLSearchParams, permission: string): void {
    const sig = q.get("sig");
    if (!sig) throw new AzureError(404, "ResourceNotFound", "The specified resource does not exist.");
    const expected = Buffer.from(this.#o.sig);
    const given = Buffer.from(sig);
    const se = Date.parse(q.get("se") ?? "");
    const detail = (d: string) => `<AuthenticationErrorDetail>${esc(d)}</AuthenticationErrorDetail>`;
    const failed = "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.";
    if (!q.get("sv") || q.get("sr") !== "c") throw new AzureError(403, "AuthenticationFailed", failed, detail("sv and sr=c are mandatory for a container SAS"));
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new AzureError(403, "AuthenticationFailed", failed, detail("Signature did not match."));
    if (!Number.isFinite(se) || se <= this.#now()) throw new AzureError(403, "AuthenticationFailed", failed, detail("Signed expiry time must be after the current time"));
    if (!(q.get("sp") ?? "").includes(permission)) throw new AzureError(403, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission.");
  }

  #route(req: IncomingMessage, u: URL, body: Buffer): { status: number; headers?: Record<string, string>; body?: string | Buffer } {
    const [account, container, ...rest] = u.pathname.split("/").slice(1).map(decodeURIComponent);
    const name = rest.join("/");
    const q = u.searchParams;
    const method = req.method!;
    const comp = q.get("comp");
    const permission = method === "GET" ? (comp === "list" ? "l" : "r") : method === "DELETE" ? "d" : "w";
    this.#authorize(q, permission);
    if (!req.headers["x-ms-version"]) throw new AzureError(400, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not specified.", "<HeaderName>x-ms-version</HeaderName>");
    const blobs = account === this.#o.account && container ? this.containers.get(container) : undefined;
    if (!blobs) throw new AzureError(404, "ContainerNotFound", "The specified container does not exist.");
    if (!name) {
      if (method === "GET" && q.get("restype") === "container" && comp === "list") return this.#list(container!, blobs, q);
      throw new AzureError(400, "UnsupportedQueryParameter", "not implemented by the fake");
    }
    const id = `${container}/${name}`;
    if (method === "PUT" && comp === "block") {
      const blockId = q.get("blockid") ?? "";
      const mine = this.blocks.get(id) ?? new Map<string, Buffer>();
      const other = [...mine.keys()][0];
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blockId) || (other !== undefined && other.length !== blockId.length)) {
        throw new AzureError(400, "InvalidQueryParameterValue", "Value for one of the query parameters specified in the request URI is invalid.", "<QueryParameterName>blockid</QueryParameterName>");
      }
      mine.set(blockId, body);
      this.blocks.set(id, mine);
      return { status: 201 };
    }
    if (method === "PUT" && comp === "blocklist") {
      const ids = [...body.toString().matchAll(/<(?:Latest|Uncommitted)>([^<]*)<\/(?:Latest|Uncommitted)>/g)].map((m) => m[1]!);
      const mine = this.blocks.get(id);
      if (!ids.length || !mine || ids.some((b) => !mine.has(b))) throw new AzureError(400, "InvalidBlockList", "The specified block list is invalid.");
      this.#checkCreate(req, blobs, name);
      blobs.set(name, { body: Buffer.concat(ids.map((b) => mine.get(b)!)), contentType: String(req.headers["x-ms-blob-content-type"] ?? "application/octet-stream"), created: new Date(this.#now()) });
      this.blocks.delete(id);
      return { status: 201 };
    }
    if (method === "PUT") {
      if (req.headers["x-ms-blob-type"] !== "BlockBlob") throw new AzureError(400, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not specified.", "<HeaderName>x-ms-blob-type</HeaderName>");
      this.#checkCreate(req, blobs, name);
      blobs.set(name, { body, contentType: String(req.headers["content-type"] ?? "application/octet-stream"), created: new Date(this.#now()) });
      return { status: 201 };
    }
    const blob = blobs.get(name);
    if (!blob) throw new AzureError(404, "BlobNotFound", "The specified blob does not exist.");
    if (method === "GET") return { status: 200, headers: { "content-type": blob.contentType, "content-length": String(blob.body.length), "x-ms-blob-type": "BlockBlob" }, body: blob.body };
    if (method === "DELETE") {
      blobs.delete(name);
      return { status: 202 };
    }
    throw new AzureError(405, "UnsupportedHttpVerb", "The resource doesn't support the specified HTTP verb.");
  }

  #checkCreate(req: IncomingMessage, blobs: Map<string, FakeBlob>, name: string): void {
    if (req.headers["if-none-match"] === "*" && blobs.has(name)) throw new AzureError(409, "BlobAlreadyExists", "The specified blob already exists.");
  }

  #list(container: string, blobs: Map<string, FakeBlob>, q: URLSearchParams) {
    const prefix = q.get("prefix") ?? "";
    const max = Math.min(Number(q.get("maxresults") ?? 5000), 5000);
    const given = q.get("marker") ?? "";
    if (given && !given.startsWith("2!")) throw new AzureError(400, "OutOfRangeInput", "One of the request inputs is out of range.");
    const marker = given ? Buffer.from(given.slice(2), "base64").toString() : "";
    const names = [...blobs.keys()].filter((n) => n.startsWith(prefix) && n >= marker).sort();
    const page = names.slice(0, max);
    const next = names[max];
    const items = page.map((n) => {
      const b = blobs.get(n)!;
      return `<Blob><Name>${esc(n)}</Name><Properties><Creation-Time>${b.created.toUTCString()}</Creation-Time><Last-Modified>${b.created.toUTCString()}</Last-Modified><Content-Length>${b.body.length}</Content-Length><Content-Type>${esc(b.contentType)}</Content-Type><BlobType>BlockBlob</BlobType></Properties></Blob>`;
    }).join("");
    // Azure's marker is opaque; the next name, encoded, stands in for it.
    const nextMarker = next === undefined ? "<NextMarker />" : `<NextMarker>${esc(`2!${Buffer.from(next).toString("base64")}`)}</NextMarker>`;
    const xml = `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="http://127.0.0.1/" ContainerName="${esc(container)}"><Prefix>${esc(prefix)}</Prefix><MaxResults>${max}</MaxResults><Blobs>${items}</Blobs>${nextMarker}</EnumerationResults>`;
    return { status: 200, headers: { "content-type": "application/xml" }, body: xml };
  }
}
