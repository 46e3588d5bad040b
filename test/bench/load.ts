/**
 * Closed-loop HTTP load on loopback: N workers, each with its own keep-alive connection,
 * send the next request as soon as the previous one is answered. A warm-up phase (its
 * requests are not counted) is followed by a measured phase bounded in time and count.
 */
import { Agent, request } from "node:http";

export interface LoadSpec {
  /** Origin, e.g. http://127.0.0.1:8787 */
  origin: string;
  /** Path (with query) of request `i`. */
  path: (i: number) => string;
  headers: Record<string, string>;
  body: () => Buffer;
  connections: number;
  warmupMs: number;
  /** The warm-up goes on until at least this many requests were answered (e.g. one per asset). */
  warmupMinRequests: number;
  durationMs: number;
  maxRequests: number;
  /** Called just before and after the measured phase (e.g. to read the server's CPU time). */
  onMeasure?: (phase: "start" | "end") => void;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  requests_per_second: number;
  /** Latency of measured requests, milliseconds. */
  latency_ms: { p50: number; p95: number; p99: number; max: number };
  /** Answers by status code; anything but 200 is an error for the benchmark. */
  statuses: Record<string, number>;
  /** CPU the load generator itself used, as a share of one core (it must not be the bottleneck). */
  client_cpu_share: number;
}

function send(agent: Agent, spec: LoadSpec, path: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(spec.origin + path, { method: "POST", agent, headers: { ...spec.headers, "Content-Length": String(body.length) } }, (res) => {
      res.on("data", () => {});
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Percentile by nearest rank over sorted values. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections, maxFreeSockets: spec.connections });
  let issued = 0;
  const statuses: Record<string, number> = {};
  try {
    // Warm-up: connections open, isolates and objects start, JIT settles.
    const warmEnd = performance.now() + spec.warmupMs;
    let warmDone = 0;
    await Promise.all(Array.from({ length: spec.connections }, async () => {
      while (performance.now() < warmEnd || warmDone < spec.warmupMinRequests) {
        const status = await send(agent, spec, spec.path(issued++), spec.body());
        if (status !== 200) throw new Error(`warm-up request answered ${status}`);
        warmDone++;
      }
    }));
    const latencies = new Float64Array(spec.maxRequests);
    let measured = 0;
    spec.onMeasure?.("start");
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const end = t0 + spec.durationMs;
    await Promise.all(Array.from({ length: spec.connections }, async () => {
      while (performance.now() < end && measured < spec.maxRequests) {
        const slot = measured++;
        const body = spec.body();
        const started = performance.now();
        const status = await send(agent, spec, spec.path(issued++), body);
        latencies[slot] = performance.now() - started;
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }));
    const seconds = (performance.now() - t0) / 1000;
    spec.onMeasure?.("end");
    const cpu = process.cpuUsage(cpu0);
    const sorted = latencies.subarray(0, measured).sort();
    return {
      requests: measured,
      seconds,
      requests_per_second: measured / seconds,
      latency_ms: { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99), max: sorted[measured - 1] ?? NaN },
      statuses,
      client_cpu_share: (cpu.user + cpu.system) / 1e6 / seconds,
    };
  } finally {
    agent.destroy();
  }
}
