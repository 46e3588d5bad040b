/**
 * Prepared append batches for the in-DO benchmark, made by the bridge's own code path
 * (NDJSON -> decodeHttpLogs -> prepare), so the events an append receives are exactly
 * what the HTTP route would hand it.
 */
import { compileRules } from "../../../shared/aggregates/event-facts.ts";
import type { PreparedEvent } from "../../../shared/events.ts";
import { decodeHttpLogs } from "../../../workers/connectors/http-logs.ts";
import { prepare } from "../../../workers/fanout.ts";
import { benchRecord } from "../record.ts";

/** `count` batches of `size` events for `asset`, records numbered from `first`, timestamps fresh. */
export function makeBatches(asset: string, count: number, size: number, first: number): PreparedEvent[][] {
  const rules = compileRules(undefined);
  const out: PreparedEvent[][] = [];
  for (let b = 0; b < count; b++) {
    const now = Date.now();
    const lines: string[] = [];
    for (let i = 0; i < size; i++) lines.push(JSON.stringify(benchRecord(first + b * size + i, now)));
    const decoded = decodeHttpLogs(lines.join("\n"), "application/x-ndjson", { asset, receivedAt: now });
    if (!decoded.ok) throw new Error(`bench records did not decode: ${decoded.error.detail}`);
    out.push(prepare(decoded.value, rules).get(asset)!.events);
  }
  return out;
}
