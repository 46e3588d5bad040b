/**
 * Exports (docs/exports.md): stored events are sent on to the tenant's Splunk HEC or
 * Elasticsearch destinations in batches. Each destination has a cursor (seq) in the asset's
 * meta; a batch is built from the stored lines at the cursor, queued in the forwarding outbox
 * (which sends it with retries, backoff, DLQ and redrive), and the cursor moves on in the same
 * transaction, so every event is queued once. Lines evicted from the ring before they were
 * queued (a destination down for longer than the ring holds) are skipped and counted.
 */
import { ALERT_SOURCE } from "../../shared/events.ts";
import { EXPORT_BATCH_MAX_BYTES, EXPORT_BATCHES_PER_RUN, EXPORT_MAX_QUEUED_BATCHES } from "../../shared/limits.ts";
import type { ExportDestination } from "../../shared/tenant-config.ts";
import { readLines } from "./read-lines.ts";

export const DEFAULT_EXPORT_BATCH_EVENTS = 500;

/** A queued export batch: the request body as the destination takes it, and what it holds. */
export interface ExportPayload {
  target: "export";
  destination: string;
  first_seq: number;
  end_seq: number;
  events: number;
  body: string;
}

export interface ExportCounters {
  /** Per destination: events queued, sent, dead-lettered, skipped (evicted before queueing). */
  [destination: string]: { queued: number; sent: number; dlq: number; skipped: number };
}

interface Deps {
  sql: SqlStorage;
  tenant: string;
  asset: string;
  meta: (k: string) => string | undefined;
  setMeta: (k: string, v: string) => void;
}

/**
 * Build and queue the batches due for each destination over the lines in [ringStart, head).
 * Returns whether more is left to build now (call again soon).
 */
export function produceExports(d: Deps, destinations: readonly ExportDestination[], ringStart: number, head: number, now: number): boolean {
  const counters = exportCounters(d);
  let more = false;
  for (const dest of destinations) {
    const c = (counters[dest.name] ??= { queued: 0, sent: 0, dlq: 0, skipped: 0 });
    const key = `export_cursor:${dest.name}`;
    // A new destination starts at the oldest line still in the buffer.
    let cursor = Number(d.meta(key) ?? ringStart);
    if (cursor < ringStart) {
      c.skipped += ringStart - cursor;
      cursor = ringStart;
    }
    const target = `export:${dest.name}`;
    let queued = d.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE target = ?", target).one().n;
    for (let b = 0; b < EXPORT_BATCHES_PER_RUN && cursor < head && queued < EXPORT_MAX_QUEUED_BATCHES; b++) {
      const batch = buildBatch(d, dest, cursor, head);
      d.sql.exec(
        "INSERT INTO outbox (id, payload, attempts, next_at, created_at, target) VALUES (?, ?, 0, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        `exp-${dest.name}-${batch.first_seq}-${batch.end_seq}`, JSON.stringify(batch), now, now, target,
      );
      c.queued += batch.events;
      cursor = batch.end_seq;
      queued++;
    }
    d.setMeta(key, String(cursor));
    if (cursor < head && queued < EXPORT_MAX_QUEUED_BATCHES) more = true;
  }
  d.setMeta("export_counters", JSON.stringify(counters));
  return more;
}

export function exportCounters(d: { meta: (k: string) => string | undefined }): ExportCounters {
  return JSON.parse(d.meta("export_counters") ?? "{}") as ExportCounters;
}

/** The next batch from `from`: up to the destination's batch size and EXPORT_BATCH_MAX_BYTES. */
function buildBatch(d: Deps, dest: ExportDestination, from: number, head: number): ExportPayload {
  const max = Math.min(head, from + (dest.batch_events ?? DEFAULT_EXPORT_BATCH_EVENTS));
  const parts: string[] = [];
  let bytes = 0;
  let seq = from;
  outer: for (const text of readLines(d.sql, from, max)) {
    for (const line of text.split("\n")) {
      if (!line) continue;
      const piece = format(dest, d, seq, line);
      if (parts.length > 0 && bytes + piece.length > EXPORT_BATCH_MAX_BYTES) break outer;
      parts.push(piece);
      bytes += piece.length;
      seq++;
    }
  }
  return { target: "export", destination: dest.name, first_seq: from, end_seq: seq, events: seq - from, body: parts.join("") };
}

/**
 * One event as the destination takes it. Splunk HEC: a stacked JSON event object with the stored
 * line as `event` and its event time. Elasticsearch _bulk: an index action with a stable `_id`
 * (tenant, asset, seq), so a retried batch overwrites rather than duplicates, then the document.
 */
function format(dest: ExportDestination, d: Deps, seq: number, line: string): string {
  const ts = /"ts":"([^"]+)"}$/.exec(line)?.[1];
  const sourcetype = line.includes(`"source":"${ALERT_SOURCE}"`) ? "telemetry-bridge:alert" : "telemetry-bridge:event";
  if (dest.type === "splunk_hec") {
    const time = ts ? Date.parse(ts) / 1000 : undefined;
    const meta = JSON.stringify({ ...(time !== undefined ? { time } : {}), host: d.asset, source: `telemetry-bridge:${d.tenant}`, sourcetype, ...(dest.index ? { index: dest.index } : {}) });
    return `${meta.slice(0, -1)},"event":${line}}`;
  }
  const action = JSON.stringify({ index: { _id: `${d.tenant}:${d.asset}:${seq}`, ...(dest.index ? { _index: dest.index } : {}) } });
  return `${action}\n${line}\n`;
}
