/**
 * The Tenant's request log in its SQLite: one row per batch an isolate sends (up to
 * REQUEST_LOG_FLUSH_RECORDS records as JSON), not one per request. Rows written are billed,
 * and a single-event request used to cost one row here (two once the log was full: the
 * insert and the trim), as much as its stored event. A row's key is the running count of
 * records up to its last one (`end_total`), so "the newest REQUEST_LOG_ROWS records" is a key
 * range: trimming deletes whole rows below it, and reads skip the older records of the one
 * row that straddles it. Reads filter in the object; the window is at most REQUEST_LOG_ROWS
 * records in about REQUEST_LOG_ROWS / batch size rows.
 */
import { REQUEST_LOG_ROWS } from "../../shared/limits.ts";

/** One authenticated request, as the request log keeps it (no secrets: `key` is a key id or JWT subject). */
export interface RequestRecord {
  at: number;
  method: string;
  path: string;
  status: number;
  ms: number;
  key: string;
  request_id: string;
  bytes: number;
  events: number;
}

export interface RequestLogQuery {
  limit: number;
  status?: number;
  status_class?: number;
  path_prefix?: string;
  key?: string;
  since?: number;
}

/** Rows read per page while filtering, newest first. */
const READ_PAGE_ROWS = 16;

function newestTotal(sql: SqlStorage): number {
  return sql.exec<{ end_total: number }>("SELECT end_total FROM request_log ORDER BY end_total DESC LIMIT 1").toArray()[0]?.end_total ?? 0;
}

/** Append a batch as one row and drop rows holding only records older than the newest REQUEST_LOG_ROWS. */
export function appendRequests(sql: SqlStorage, batch: readonly RequestRecord[]): void {
  if (batch.length === 0) return;
  const end = newestTotal(sql) + batch.length;
  const records = batch.map((r) => ({
    at: r.at, method: r.method, path: r.path, status: r.status, ms: r.ms, key: r.key, request_id: r.request_id, bytes: r.bytes, events: r.events,
  }));
  sql.exec("INSERT INTO request_log (end_total, records) VALUES (?, ?)", end, JSON.stringify(records));
  sql.exec("DELETE FROM request_log WHERE end_total <= ?", end - REQUEST_LOG_ROWS);
}

function matches(r: RequestRecord, q: RequestLogQuery): boolean {
  if (q.status !== undefined && r.status !== q.status) return false;
  if (q.status_class !== undefined && (r.status < q.status_class * 100 || r.status >= q.status_class * 100 + 100)) return false;
  if (q.path_prefix !== undefined && !r.path.startsWith(q.path_prefix)) return false;
  if (q.key !== undefined && r.key !== q.key) return false;
  if (q.since !== undefined && r.at < q.since) return false;
  return true;
}

/** The newest REQUEST_LOG_ROWS requests that match `q`, newest (last recorded) first, at most `q.limit`. */
export function readRequests(sql: SqlStorage, q: RequestLogQuery): RequestRecord[] {
  const out: RequestRecord[] = [];
  const oldest = newestTotal(sql) - REQUEST_LOG_ROWS; // records numbered <= this are outside the log
  let before = Number.MAX_SAFE_INTEGER;
  while (out.length < q.limit) {
    const rows = sql
      .exec<{ end_total: number; records: string }>(
        "SELECT end_total, records FROM request_log WHERE end_total < ? AND end_total > ? ORDER BY end_total DESC LIMIT ?", before, oldest, READ_PAGE_ROWS,
      )
      .toArray();
    for (const row of rows) {
      const records = JSON.parse(row.records) as RequestRecord[];
      for (let i = records.length - 1; i >= 0 && out.length < q.limit; i--) {
        if (row.end_total - (records.length - 1 - i) <= oldest) break;
        if (matches(records[i]!, q)) out.push(records[i]!);
      }
      if (out.length >= q.limit) break;
    }
    if (rows.length < READ_PAGE_ROWS) break;
    before = rows.at(-1)!.end_total;
  }
  return out;
}
