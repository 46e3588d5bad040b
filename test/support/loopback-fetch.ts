/**
 * fetch as if every host name resolved to 127.0.0.1: the request line, the Host header and the
 * bytes are what a client sends to `http://<bucket>.s3.test:<port>/...`, only the TCP connection
 * goes to the loopback port. Needed for virtual-host addressing in tests: `*.localhost` does not
 * resolve here, and Node's fetch ignores a Host header set by the caller.
 */
import { request } from "node:http";
import { Readable } from "node:stream";

export const loopbackFetch: typeof fetch = async (input, init) => {
  const req = new Request(input, init);
  const u = new URL(req.url);
  const body = req.body ? Buffer.from(await req.arrayBuffer()) : undefined;
  const headers: Record<string, string> = { ...Object.fromEntries(req.headers), host: u.host };
  if (body) headers["content-length"] = String(body.length);
  return new Promise<Response>((resolve, reject) => {
    const r = request({ host: "127.0.0.1", port: Number(u.port || 80), method: req.method, path: u.pathname + u.search, headers, signal: req.signal }, (res) => {
      const out = new Headers();
      for (let i = 0; i < res.rawHeaders.length; i += 2) out.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
      const empty = req.method === "HEAD" || res.statusCode === 204 || res.statusCode === 304;
      if (empty) res.resume();
      resolve(new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status: res.statusCode!, headers: out }));
    });
    r.on("error", reject);
    r.end(body);
  });
};
