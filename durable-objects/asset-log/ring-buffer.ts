/**
 * Ring buffer bounds over the chunk table. The logical window is exact at every
 * read; physical deletion is lazy (alarm), so reads never depend on trimming.
 * `seq` is gap-free from 0, so everything below the window start was evicted:
 * the start is also the eviction count.
 */
import type { RingConfig } from "../../shared/config.ts";

export interface Head {
  /** Next seq to assign (= lines ever accepted). */
  nextSeq: number;
  /** Receive time of the newest chunk, epoch ms (receive times never go backwards). */
  lastRts: number;
}

export interface RingWindow {
  /** Oldest seq still inside the buffer. */
  start: number;
  /** One past the newest seq. */
  end: number;
}

export function readHead(sql: SqlStorage): Head {
  const row = sql
    .exec<{ end_seq: number; rts: number }>("SELECT end_seq, rts FROM chunks ORDER BY first_seq DESC LIMIT 1")
    .toArray()[0];
  return row ? { nextSeq: row.end_seq, lastRts: row.rts } : { nextSeq: 0, lastRts: 0 };
}

/** First seq received at or after `sinceMs`; `head.nextSeq` when none. */
export function firstSeqReceivedSince(sql: SqlStorage, head: Head, sinceMs: number): number {
  const row = sql
    .exec<{ first_seq: number }>("SELECT first_seq FROM chunks WHERE rts >= ? ORDER BY first_seq LIMIT 1", sinceMs)
    .toArray()[0];
  return row ? row.first_seq : head.nextSeq;
}

/** The buffer's logical window at time `nowMs` under `ring`'s bounds. */
export function ringWindow(sql: SqlStorage, head: Head, ring: RingConfig, nowMs: number): RingWindow {
  const byCount = Math.max(0, head.nextSeq - ring.max_lines);
  const byAge = firstSeqReceivedSince(sql, head, nowMs - ring.max_seconds * 1000);
  return { start: Math.min(head.nextSeq, Math.max(byCount, byAge)), end: head.nextSeq };
}

/**
 * Delete up to `limit` chunks lying wholly below `start` and below `floor` (a seal in
 * progress pins its range). The newest chunk is always kept: it carries the head.
 * Returns the number of rows deleted.
 */
export function trimChunks(sql: SqlStorage, head: Head, start: number, floor: number, limit: number): number {
  const upTo = Math.min(start, floor);
  const doomed = sql
    .exec<{ first_seq: number; rts: number }>(
      "SELECT first_seq, rts FROM chunks WHERE end_seq <= ? AND end_seq < ? ORDER BY first_seq LIMIT ?",
      upTo, head.nextSeq, limit,
    )
    .toArray();
  const last = doomed.at(-1);
  if (!last) return 0;
  sql.exec("DELETE FROM chunks WHERE first_seq <= ?", last.first_seq);
  // Keep the receive time of the newest deleted line: evidence uses it to tell whether a window lost lines.
  sql.exec("INSERT INTO meta (k, v) VALUES ('trimmed_rts', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", String(last.rts));
  return doomed.length;
}

/** Receive time of the oldest physically stored chunk, or null when only the head chunk is left. */
export function oldestTrimmableRts(sql: SqlStorage, head: Head): number | null {
  const row = sql
    .exec<{ rts: number }>("SELECT rts FROM chunks WHERE end_seq < ? ORDER BY first_seq LIMIT 1", head.nextSeq)
    .toArray()[0];
  return row ? row.rts : null;
}
