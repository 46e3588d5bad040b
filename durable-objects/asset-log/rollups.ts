/**
 * Per-minute rollups of one asset (by receive time), one SQLite row per minute, a summary
 * merging the rows of its window. Receive time (not event time) keys them so late events still
 * count, exactly once, in the interval they arrived in: forwarding sends each minute once and
 * never revisits it.
 *
 * An append does not rewrite its minute's row (a row written per append, billed): it stores its
 * batch's rollup (the delta) in its first chunk row, and the newest minute is kept in memory
 * with those deltas merged in. The row is written ("folded") when an append opens the next
 * minute, and before anything deletes chunks or counts rows (the alarm's trim, housekeeping,
 * retention: `fold`). Each row records the seq its deltas run to (`through_seq`), so a new
 * instance refolds the deltas of chunks from there on. Reads merge the in-memory minute.
 */
import { Rollup, type RollupJson } from "../../shared/aggregates/rollup.ts";
import type { EventFacts } from "../../shared/aggregates/event-facts.ts";

export const MINUTE_MS = 60_000;

type StoredRollup = RollupJson & { through_seq?: number };

export class RollupStore {
  #sql: SqlStorage;
  /** The newest minute: its row plus the deltas not yet folded into it (null: not loaded). */
  #minute = -1;
  #current: Rollup | null = null;
  /** One past the last seq whose delta #current holds; #folded: whose delta its row holds. */
  #through = 0;
  #folded = 0;
  #loaded = false;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /**
   * Count a batch received at `rts` whose lines end before `endSeq` (inside the append's
   * transaction). Returns the batch's delta, for its first chunk row, and rows written (the
   * previous minute's row, when this batch opens a new minute).
   */
  add(rts: number, facts: readonly (EventFacts | undefined)[], alertsByRule: ReadonlyMap<string, number>, endSeq: number): { delta: string; rows: number } {
    this.#load();
    const minute = Math.floor(rts / MINUTE_MS) * MINUTE_MS;
    let rows = 0;
    if (minute !== this.#minute) {
      rows += this.#flush();
      this.#minute = minute;
      this.#current = this.#read(minute) ?? new Rollup();
    }
    const delta = new Rollup();
    for (const f of facts) delta.add(f);
    for (const [rule, n] of alertsByRule) delta.alerts[rule] = (delta.alerts[rule] ?? 0) + n;
    this.#current!.merge(delta);
    this.#through = endSeq;
    return { delta: JSON.stringify(delta), rows };
  }

  /**
   * Write the newest minute's row if it holds unfolded deltas; returns rows written. Loads first:
   * a new instance's first act may be a trim, and the deltas of the chunks it deletes must be
   * in a minute row before they go.
   */
  fold(): number {
    this.#load();
    return this.#flush();
  }

  #flush(): number {
    if (this.#current === null || this.#through === this.#folded) return 0;
    const rows = this.#write(this.#minute, this.#current, this.#through);
    this.#folded = this.#through;
    return rows;
  }

  /** Forget the in-memory minute (its append was rolled back); the next use reloads and refolds. */
  discard(): void {
    this.#minute = -1;
    this.#current = null;
    this.#loaded = false;
  }

  /** Rollups of the minutes in [fromMs, untilMs), oldest first; the newest with its unfolded deltas. */
  *range(fromMs: number, untilMs: number): Generator<{ minute: number; rollup: Rollup }> {
    this.#load();
    const pending = this.#current !== null && this.#through !== this.#folded && this.#minute >= fromMs && this.#minute < untilMs ? this.#minute : null;
    let cursor = Math.floor(fromMs / MINUTE_MS) * MINUTE_MS;
    for (;;) {
      const rows = this.#sql
        .exec<{ minute: number; data: string }>("SELECT minute, data FROM rollups WHERE minute >= ? AND minute < ? ORDER BY minute LIMIT 500", cursor, untilMs)
        .toArray();
      for (const row of rows) {
        if (row.minute !== pending) yield { minute: row.minute, rollup: Rollup.fromJSON(JSON.parse(row.data) as RollupJson) };
      }
      if (rows.length < 500) break;
      cursor = rows.at(-1)!.minute + 1;
    }
    if (pending !== null) yield { minute: pending, rollup: Rollup.fromJSON(this.#current!.toJSON()) };
  }

  /** Delete the minutes before `beforeMs` (summary retention); returns rows deleted. */
  dropBefore(beforeMs: number): number {
    this.#load();
    this.#flush();
    if (this.#minute < beforeMs) this.discard();
    return this.#sql.exec("DELETE FROM rollups WHERE minute < ?", beforeMs).rowsWritten;
  }

  /**
   * Load the newest minute and refold the deltas stored after its row's `through_seq` (those of
   * an instance that stopped before folding them, or of a rolled-back append's predecessors).
   */
  #load(): void {
    if (this.#loaded) return;
    this.#loaded = true;
    const newest = this.#sql.exec<{ minute: number; data: string }>("SELECT minute, data FROM rollups ORDER BY minute DESC LIMIT 1").toArray()[0];
    const stored = newest ? (JSON.parse(newest.data) as StoredRollup) : null;
    this.#minute = newest?.minute ?? -1;
    this.#current = stored ? Rollup.fromJSON(stored) : null;
    this.#through = this.#folded = stored?.through_seq ?? 0;
    const deltas = this.#sql
      .exec<{ rts: number; end_seq: number; rollup: string }>(
        "SELECT rts, end_seq, rollup FROM chunks WHERE first_seq >= ? AND rollup IS NOT NULL ORDER BY first_seq", this.#through,
      )
      .toArray();
    for (const d of deltas) {
      const minute = Math.floor(d.rts / MINUTE_MS) * MINUTE_MS;
      if (minute !== this.#minute) {
        this.#flush();
        this.#minute = minute;
        this.#current = this.#read(minute) ?? new Rollup();
      }
      this.#current!.merge(Rollup.fromJSON(JSON.parse(d.rollup) as RollupJson));
      // A delta sits in its batch's first chunk; the batch's other chunks carry none.
      this.#through = d.end_seq;
    }
  }

  #read(minute: number): Rollup | null {
    const row = this.#sql.exec<{ data: string }>("SELECT data FROM rollups WHERE minute = ?", minute).toArray()[0];
    return row ? Rollup.fromJSON(JSON.parse(row.data) as RollupJson) : null;
  }

  #write(minute: number, r: Rollup, through: number): number {
    return this.#sql.exec(
      "INSERT INTO rollups (minute, data) VALUES (?, ?) ON CONFLICT (minute) DO UPDATE SET data = excluded.data",
      minute, JSON.stringify({ ...r.toJSON(), through_seq: through }),
    ).rowsWritten;
  }
}
