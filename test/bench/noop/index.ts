/**
 * No-op baseline for `npm run bench`: the Worker reads the whole body (as the bridge must) and
 * passes it by RPC to the asset's Durable Object (same naming: one object per asset), which
 * only counts its lines. What is left is the cost of workerd's HTTP, an isolate call and a DO
 * RPC carrying the body: the ceiling any design of the bridge runs under.
 */
import { DurableObject } from "cloudflare:workers";

interface Env {
  NOOP: DurableObjectNamespace<NoopObject>;
}

export class NoopObject extends DurableObject<Env> {
  /** Lines in the body (1 + newlines), as the bridge would accept them; stores nothing. */
  async append(body: string): Promise<number> {
    let n = 1;
    for (let i = body.indexOf("\n"); i >= 0; i = body.indexOf("\n", i + 1)) n++;
    return n;
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (request.method !== "POST") return new Response("ok");
    const asset = url.searchParams.get("asset") ?? "default";
    const body = await request.text();
    const accepted = await env.NOOP.getByName(asset).append(body);
    return Response.json({ ok: true, accepted });
  },
} satisfies ExportedHandler<Env>;
