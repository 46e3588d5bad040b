/**
 * Per-minute rollups of one asset (by receive time), one SQLite row per minute: an append
 * rewrites only its minute's row, and a summary merges the rows of its window.
 * Receive time (not event time) keys them so late events still count, exactly once, in the
 * interval they arrived in: forwarding sends each minute once and never revisits it.
 */
import { Rollup, type RollupJson } from "../../shared/aggregates/rollup.ts";
import type { EventFacts } from "../../shared/aggregates/event-facts.ts";

export const MINUTE_MS = 60_000;

export class RollupStore {
  #sql: SqlStorage;
  /** The newest minute's rollup, as stored (appends nearly always land in it). */
  #minute = -1;
  #current: Rollup | null = null;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /** Count a batch received at `rts` (inside the append's transaction); returns rows written. */
  add(rts: number, facts: readonly (EventFacts | undefined)[], alertsByRule: ReadonlyMap<string, number>): number {
    const minute = Math.floor(rts / MINUTE_MS) * MINUTE_MS;
    const r = minute === this.#minute && this.#current ? this.#current : this.#load(minute) ?? new Rollup();
    for (const f of facts) r.add(f);
    for (const [rule, n] of alertsByRule) r.alerts[rule] = (r.alerts[rule] ?? 0) + n;
    this.#minute = minute;
    this.#current = r;
    return this.#sql.exec(
      "INSERT INTO rollups (minute, data) VALUES (?, ?) ON CONFLICT (minute) DO UPDATE SET data = excluded.data",
      minute, JSON.stringify(r),
    ).rowsWritten;
  }

  /** Forget the cached minute (its write was rolled back). */
  discard(): void {
    this.#minute = -1;
    this.#current = null;
  }

  /** Rollups of the minutes in [fromMs, untilMs), oldest first. */
  *range(fromMs: number, untilMs: number): Generator<{ minute: number; rollup: Rollup }> {
    let cursor = Math.floor(fromMs / MINUTE_MS) * MINUTE_MS;
    for (;;) {
      const rows = this.#sql
        .exec<{ minute: number; data: string }>("SELECT minute, data FROM rollups WHERE minute >= ? AND minute < ? ORDER BY minute LIMIT 500", cursor, untilMs)
        .toArray();
      for (const row of rows) yield { minute: row.minute, rollup: Rollup.fromJSON(JSON.parse(row.data) as RollupJson) };
      if (rows.length < 500) return;
      cursor = rows.at(-1)!.minute + 1;
    }
  }

  /** Delete the minutes before `beforeMs` (summary retention); returns rows deleted. */
  dropBefore(beforeMs: number): number {
    if (this.#minute < beforeMs) this.discard();
    return this.#sql.exec("DELETE FROM rollups WHERE minute < ?", beforeMs).rowsWritten;
  }

  #load(minute: number): Rollup | null {
    const row = this.#sql.exec<{ data: string }>("SELECT data FROM rollups WHERE minute = ?", minute).toArray()[0];
    return row ? Rollup.fromJSON(JSON.parse(row.data) as RollupJson) : null;
  }
}
