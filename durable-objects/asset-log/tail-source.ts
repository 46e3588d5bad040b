/**
 * The live tail's view of an AssetLog: stored lines inside the ring buffer's window,
 * read from the chunk table. Only reads; the AssetLog stays the single writer.
 */
import type { RingConfig } from "../../shared/config.ts";
import type { TailItem, TailSource } from "./live-tail.ts";
import { readLines } from "./read-lines.ts";
import { ringWindow, type Head, type RingWindow } from "./ring-buffer.ts";

export interface LogView {
  sql: SqlStorage;
  head(): Head;
  /** The ring bounds the last append recorded; null before the first append (nothing stored). */
  ring(): RingConfig | null;
  /** The asset's recent aggregates (the snapshot shows them next to the buffer's standing). */
  aggregates(): Record<string, unknown>;
}

/** Chunk rows keep one character per line for its level (schema.ts); alert lines ("A") have none. */
const LEVEL_OF: Record<string, string> = { C: "CRITICAL", E: "ERROR", W: "WARN", I: "INFO", D: "DEBUG" };

export function ringTailSource(log: LogView): TailSource {
  const window = (): RingWindow => {
    const head = log.head();
    const ring = log.ring();
    return ring ? ringWindow(log.sql, head, ring, Date.now()) : { start: head.nextSeq, end: head.nextSeq };
  };
  return {
    lines(fromSeq: number, limit: number): TailItem[] {
      const win = window();
      const first = Math.max(fromSeq, win.start);
      const end = Math.min(win.end, first + limit);
      const out: TailItem[] = [];
      if (first >= end) return out;
      let seq = first;
      for (const text of readLines(log.sql, first, end)) {
        for (const line of text.split("\n")) if (line) out.push({ seq: seq++, line });
      }
      // Levels come from the chunks' level strings (a few rows: the range is at most `limit` lines).
      const rows = log.sql
        .exec<{ first_seq: number; levels: string | null }>("SELECT first_seq, levels FROM chunks WHERE end_seq > ? AND first_seq < ? ORDER BY first_seq", first, end)
        .toArray();
      let r = 0;
      for (const item of out) {
        while (r + 1 < rows.length && rows[r + 1]!.first_seq <= item.seq) r++;
        const level = LEVEL_OF[rows[r]?.levels?.[item.seq - rows[r]!.first_seq] ?? ""];
        if (level) item.level = level;
      }
      return out;
    },
    nextSeq: () => log.head().nextSeq,
    oldestSeq: () => window().start,
    summary() {
      const win = window();
      return { size: win.end - win.start, oldest_seq: win.start, next_seq: win.end, evicted_total: win.start, ...log.aggregates() };
    },
  };
}
