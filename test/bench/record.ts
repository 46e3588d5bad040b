/**
 * The benchmark's log record: about 250 B of JSON, shaped like a web access log, used by the
 * HTTP load generator (Node) and by the in-DO benchmark (workerd) alike. Pure, no imports.
 * `ts` is epoch ms; `n` makes every record of a run distinct.
 */
export function benchRecord(n: number, ts: number): Record<string, unknown> {
  return {
    ts,
    level: n % 50 === 0 ? "error" : "info",
    host: `node-${n % 16}`,
    message: `GET /api/v1/items/${(n * 7919) % 100000} ${n % 50 === 0 ? 500 : 200} req ${String(n).padStart(10, "0")}`,
    action: n % 9 === 0 ? "BLOCK" : "ALLOW",
    client_ip: `203.0.113.${n % 250}`,
    latency_ms: 5 + (n % 300),
    user_agent: "Mozilla/5.0 (X11; Linux x86_64) bench/1.0",
    trace_id: (n * 2654435761 >>> 0).toString(16).padStart(8, "0") + "4bf92f3577b34da6",
  };
}
