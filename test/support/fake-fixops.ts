/**
 * Fakes of the services the bridge calls out to, for the workerd tests, run in the Node process as
 * miniflare's outbound service: every fetch the Worker and its Durable Objects make comes here first.
 * `https://fixops.test/...` is FixOps (and webhooks), `https://splunk.test/...` a Splunk HEC and
 * `https://elastic.test/...` an Elasticsearch _bulk endpoint (all on the paths below, scripted per
 * id; scripting "bulk-errors" makes _bulk answer 200 with an item refused); `https://*.down.test`
 * answers 503 (a store that is down); anything else goes out unchanged (loopback only in tests).
 *   POST /ingest/<id>          records the request; answers the next status scripted for <id> (default 200)
 *   PUT  /__script/<id>        body: JSON array of statuses to answer, in order (then 200); "net" = connection error
 *   GET  /__requests/<id>      the requests recorded for <id>: [{headers, body}]
 */
/** Hosts the fake answers for: FixOps, and the export destinations (Splunk HEC, Elasticsearch _bulk). */
const HOSTS = new Set(["fixops.test", "splunk.test", "elastic.test"]);

interface Recorded {
  headers: Record<string, string>;
  body: string;
}

const scripts = new Map<string, (number | "net" | "bulk-errors")[]>();
const recorded = new Map<string, Recorded[]>();

export async function fakeFixops(request: Request): Promise<Response> {
  const url = new URL(request.url);
  // Any host under down.test is a store or service that is down: 503 at once, no network needed.
  if (url.hostname.endsWith(".down.test")) return new Response("<Error><Code>ServiceUnavailable</Code></Error>", { status: 503 });
  if (!HOSTS.has(url.hostname)) {
    // Re-issued by parts: miniflare's Request is not Node's, and Node's fetch would read it as the
    // URL "[object Request]".
    const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
    return fetch(request.url, { method: request.method, headers: [...request.headers], body, redirect: "manual" });
  }
  const [, op, id = ""] = url.pathname.split("/");
  if (op === "__script" && request.method === "PUT") {
    scripts.set(id, (await request.json()) as (number | "net" | "bulk-errors")[]);
    recorded.delete(id);
    return new Response(null, { status: 204 });
  }
  if (op === "__requests") return Response.json(recorded.get(id) ?? []);
  if (op === "ingest" && request.method === "POST") {
    const list = recorded.get(id) ?? [];
    list.push({ headers: Object.fromEntries(request.headers), body: await request.text() });
    recorded.set(id, list);
    const next = scripts.get(id)?.shift() ?? 200;
    if (next === "net") throw new Error("connection reset (scripted)");
    if (url.hostname === "elastic.test") {
      // _bulk answers 200 with per-item results; "bulk-errors" = 200 with one item refused.
      const failed = next === "bulk-errors";
      const items = [{ index: { status: failed ? 429 : 201 } }];
      return next === "bulk-errors" || next < 300 ? Response.json({ errors: failed, items }) : new Response('{"error":"scripted"}', { status: next });
    }
    const status = next === "bulk-errors" ? 200 : next;
    return new Response(status < 300 ? '{"ok":true}' : '{"error":"scripted failure"}', { status, headers: { "Content-Type": "application/json" } });
  }
  return new Response("not found", { status: 404 });
}
