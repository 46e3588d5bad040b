/**
 * Instrumented bridge for `npm run bench` (never deployed): the real Worker (workers/index.ts)
 * with metered Durable Objects (objects.ts), plus bench-only routes under /__bench/ on loopback:
 *
 *   GET  /__bench/meter?tenant=T&assets=a,b[&reset=1]   meters of those objects
 *   POST /__bench/in-do/prepare?asset=A&batches=N&size=S&first=F
 *   POST /__bench/in-do/run?asset=A&trim_every=K[&max_lines=M]   appends inside the object
 *   POST /__bench/rpc/prepare?...  /__bench/rpc/run?asset=A   the same batches sent by RPC from here
 *   POST /__bench/breakdown?asset=A&batches=N            time each step of an append alone
 *   GET  /__bench/alloc?mb=N                             holds N MiB live (checks a heap cap bites)
 */
import bridge from "../../../workers/index.ts";
import { effectiveRing } from "../../../shared/config.ts";
import { assetRules } from "../../../shared/asset-rules.ts";
import type { PreparedEvent } from "../../../shared/events.ts";
import { packEvents } from "../../../shared/packed-events.ts";
import { assetObjectName, DIRECTORY_OBJECT_NAME, tenantObjectName, type Env } from "../../../durable-objects/env.ts";
import type { AssetRef } from "../../../durable-objects/asset-log/asset-log.ts";
import { makeBatches } from "./batches.ts";
import type { MeterReport } from "./objects.ts";

export { AssetLog, Tenant, TenantDirectory } from "./objects.ts";

/** The tenant the benchmark creates (bench.ts makes it through the admin API). */
const BENCH_TENANT = "bench";

type Metered = { benchMeter(reset?: boolean): Promise<MeterReport> };

/** Batches the RPC variant sends, held in this isolate between prepare and run. */
let rpcHeld: PreparedEvent[][] = [];

/** The ref the HTTP path would pass for the bench tenant; `maxLines` shrinks the ring (small batches fill it sooner). */
function ref(env: Env, asset: string, maxLines?: number): AssetRef {
  const ring = effectiveRing(env, undefined);
  return { tenant: BENCH_TENANT, asset, ring: maxLines ? { ...ring, max_lines: maxLines } : ring, rules: assetRules(env, undefined) };
}

async function bench(url: URL, env: Env): Promise<Response> {
  const q = (k: string, d = "") => url.searchParams.get(k) ?? d;
  const num = (k: string, d: number) => Number(q(k, String(d)));
  const asset = q("asset", "bench-in-do");
  const stub = () => env.ASSET_LOG.getByName(assetObjectName(BENCH_TENANT, asset));
  switch (url.pathname) {
    case "/__bench/meter": {
      const reset = q("reset") === "1";
      const tenant = q("tenant", BENCH_TENANT);
      const assets: Record<string, MeterReport> = {};
      for (const a of q("assets").split(",").filter(Boolean)) {
        assets[a] = await (env.ASSET_LOG.getByName(assetObjectName(tenant, a)) as unknown as Metered).benchMeter(reset);
      }
      const t = await (env.TENANT.getByName(tenantObjectName(tenant)) as unknown as Metered).benchMeter(reset);
      const d = await (env.TENANT_DIRECTORY.getByName(DIRECTORY_OBJECT_NAME) as unknown as Metered).benchMeter(reset);
      return Response.json({ assets, tenant: t, directory: d });
    }
    case "/__bench/in-do/prepare":
      return Response.json({ batches: await (stub() as any).benchPrepare(asset, num("batches", 1), num("size", 1000), num("first", 0)) });
    case "/__bench/in-do/run":
      return Response.json(await (stub() as any).benchRun(ref(env, asset, num("max_lines", 0) || undefined), num("trim_every", 0)));
    case "/__bench/breakdown":
      return Response.json(await (stub() as any).benchBreakdown(num("batches", 50)));
    case "/__bench/rpc/prepare":
      rpcHeld = makeBatches(asset, num("batches", 1), num("size", 1000), num("first", 0));
      return Response.json({ batches: rpcHeld.length });
    case "/__bench/rpc/run": {
      const r = ref(env, asset);
      const s = stub();
      let events = 0;
      // Packed per call, as workers/fanout.ts does, so the Worker's packing is timed with the call.
      for (const batch of rpcHeld) events += (await s.append(r, packEvents(batch))).accepted;
      const appends = rpcHeld.length;
      rpcHeld = [];
      return Response.json({ events, appends });
    }
    case "/__bench/alloc": {
      const held: number[][] = [];
      for (let i = 0; i < num("mb", 64); i++) held.push(new Array(131072).fill(i + 0.5)); // 1 MiB of doubles each
      return Response.json({ held_mib: held.length });
    }
    default:
      return new Response("no such bench route", { status: 404 });
  }
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/__bench/")) return bench(url, env);
    return bridge.fetch(request, env, ctx);
  },
  scheduled: bridge.scheduled,
} satisfies ExportedHandler<Env>;
