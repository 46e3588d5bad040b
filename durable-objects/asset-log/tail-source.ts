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
}

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
      return out;
    },
    nextSeq: () => log.head().nextSeq,
    oldestSeq: () => window().start,
    // The buffer's standing until the asset's rollup summary is plugged in here.
    summary() {
      const win = window();
      return { size: win.end - win.start, oldest_seq: win.start, next_seq: win.end, evicted_total: win.start };
    },
  };
}
