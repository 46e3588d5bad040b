/**
 * Heap section: the largest bundle built by a bridge whose workerd runs with the V8 heap
 * capped (MINIFLARE_WORKERD_V8_FLAGS=--max-old-space-size=N, read by miniflare). A control
 * request that holds more than the cap live must fail, or the cap did not apply.
 * Runs on the instrumented bridge: the real Worker and objects, plus the /__bench/alloc route.
 */
import { tenantKey } from "../e2e/wrangler-dev.ts";
import { build, fill } from "./evidence.ts";
import { startServer, type Snapshot } from "./servers.ts";

export interface HeapResult {
  heap_cap_mb: number;
  lines: number;
  bundle_built: boolean;
  build_seconds: number | null;
  error?: string;
  /** The control: holding 2x the cap live must fail, holding 1/4 of it must not. */
  control_small_ok: boolean;
  control_large_failed: boolean;
}

export const HEAP_CAP_MB = 32;

export async function runHeap(snap: Snapshot, lines: number, quotasOff: object, log: (s: string) => void): Promise<HeapResult> {
  const server = await startServer(snap, { MINIFLARE_WORKERD_V8_FLAGS: `--max-old-space-size=${HEAP_CAP_MB}` });
  try {
    const key = await tenantKey(server.bridge, "bench", quotasOff);
    await fill(server, key, "heap", lines);
    let result: Pick<HeapResult, "bundle_built" | "build_seconds" | "error">;
    try {
      const { seconds } = await build(server, key, "heap");
      result = { bundle_built: true, build_seconds: seconds };
    } catch (e) {
      result = { bundle_built: false, build_seconds: null, error: String((e as Error).message).slice(0, 300) };
    }
    const alloc = async (mb: number) => (await fetch(`${server.bridge.url}/__bench/alloc?mb=${mb}`)).status === 200;
    const small = await alloc(HEAP_CAP_MB / 4);
    const large = !(await alloc(HEAP_CAP_MB * 2));
    const r: HeapResult = { heap_cap_mb: HEAP_CAP_MB, lines, ...result, control_small_ok: small, control_large_failed: large };
    log(`heap cap ${HEAP_CAP_MB} MB: ${lines}-line bundle ${r.bundle_built ? `built in ${r.build_seconds!.toFixed(3)} s` : `FAILED (${r.error})`}; ` +
      `control: ${HEAP_CAP_MB / 4} MB ${small ? "ok" : "failed"}, ${HEAP_CAP_MB * 2} MB ${large ? "refused (cap applies)" : "held (cap did NOT apply)"}`);
    return r;
  } finally {
    await server.stop();
  }
}
