/**
 * AssetLog Durable Object: the single writer of one (tenant, asset) log.
 * Appends canonical stored lines with gap-free seq, keeps the ring buffer
 * bounded by count and age, and seals windows into evidence bundles.
 */
import { DurableObject } from "cloudflare:workers";
import type { RingConfig } from "../../shared/config.ts";
import { storedLine, type PreparedEvent } from "../../shared/events.ts";
import { CHUNK_MAX_BYTES, TRIM_BATCH_CHUNKS, TRIM_INTERVAL_MS } from "../../shared/limits.ts";
import { migrate } from "../../shared/sql-migrations.ts";
import { utf8Length } from "../../shared/utf8.ts";
import { R2Store } from "../../shared/storage/r2-store.ts";
import type { Env } from "../env.ts";
import { sealWindow, type BundleInfo, type SealError } from "./bundle-builder.ts";
import { readLines } from "./read-lines.ts";
import { oldestTrimmableRts, readHead, ringWindow, trimChunks, firstSeqReceivedSince, type Head } from "./ring-buffer.ts";
import { ASSET_LOG_MIGRATIONS } from "./schema.ts";

export interface AssetRef {
  tenant: string;
  asset: string;
  ring: RingConfig;
}

export interface AppendResult {
  accepted: number;
  first_seq: number;
  end_seq: number;
}

export interface BufferStats {
  /** Lines inside the buffer's bounds now. */
  size: number;
  oldest_seq: number;
  next_seq: number;
  evicted_total: number;
  /** Chunk rows physically stored (trimming is lazy, so may exceed the window). */
  stored_chunks: number;
}

export type SealResult =
  | { ok: true; value: { empty: true } | { empty: false; bundle: BundleInfo; reused: boolean } }
  | { ok: false; error: SealError };

export class AssetLog extends DurableObject<Env> {
  #sql: SqlStorage;
  #head: Head;
  #ringJson = "";
  #alarmArmed = false;
  /** Seals run one at a time; while one runs, trimming stays below its first seq. */
  #sealing: Promise<unknown> = Promise.resolve();
  #pinnedFrom = Infinity;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    migrate(this.#sql, ASSET_LOG_MIGRATIONS);
    this.#head = readHead(this.#sql);
    this.#ringJson = this.#meta("ring") ?? "";
    ctx.blockConcurrencyWhile(async () => {
      this.#alarmArmed = (await ctx.storage.getAlarm()) !== null;
    });
  }

  /** Append events as stored lines. All-or-nothing: the batch commits in one transaction. */
  async append(ref: AssetRef, events: PreparedEvent[]): Promise<AppendResult> {
    this.#bind(ref);
    const first = this.#head.nextSeq;
    if (events.length === 0) return { accepted: 0, first_seq: first, end_seq: first };
    // Receive times never go backwards, so age bounds stay a prefix of seq.
    const rts = Math.max(Date.now(), this.#head.lastRts);
    let seq = first;
    this.ctx.storage.transactionSync(() => {
      let chunkFirst = seq;
      let lines: string[] = [];
      let bytes = 0;
      const flush = () => {
        if (!lines.length) return;
        const text = lines.join("");
        this.#sql.exec(
          "INSERT INTO chunks (first_seq, end_seq, rts, bytes, lines) VALUES (?, ?, ?, ?, ?)",
          chunkFirst, seq, rts, bytes, text,
        );
        chunkFirst = seq;
        lines = [];
        bytes = 0;
      };
      for (const ev of events) {
        const line = storedLine(ref.asset, seq, rts, ev) + "\n";
        if (bytes + line.length * 3 > CHUNK_MAX_BYTES && lines.length) flush();
        lines.push(line);
        bytes += utf8Length(line);
        seq++;
      }
      flush();
    });
    this.#head = { nextSeq: seq, lastRts: rts };
    this.#armTrim(rts + TRIM_INTERVAL_MS);
    return { accepted: events.length, first_seq: first, end_seq: seq };
  }

  /** Where the buffer stands now under `ref.ring`. */
  async stats(ref: AssetRef): Promise<BufferStats> {
    this.#bind(ref);
    const win = ringWindow(this.#sql, this.#head, ref.ring, Date.now());
    const chunks = this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM chunks").one().n;
    return {
      size: win.end - win.start, oldest_seq: win.start, next_seq: win.end,
      evicted_total: win.start, stored_chunks: chunks,
    };
  }

  /**
   * Seal the lines received in the last `sinceSeconds` (0 = the whole buffer) into an
   * evidence bundle in the store. Each call makes a new bundle, except that the same range
   * sealed again within the same second is the same object key, and returns that bundle.
   */
  async seal(ref: AssetRef, sinceSeconds: number, bucketName: string): Promise<SealResult> {
    this.#bind(ref);
    const run = this.#sealing.then(() => this.#seal(ref, sinceSeconds, bucketName));
    this.#sealing = run.catch(() => undefined);
    return run;
  }

  override async alarm(): Promise<void> {
    this.#alarmArmed = false;
    const ring = this.#ringJson ? (JSON.parse(this.#ringJson) as RingConfig) : null;
    if (!ring) return;
    const now = Date.now();
    const win = ringWindow(this.#sql, this.#head, ring, now);
    const deleted = trimChunks(this.#sql, this.#head, win.start, this.#pinnedFrom, TRIM_BATCH_CHUNKS);
    if (deleted >= TRIM_BATCH_CHUNKS) return this.#armTrim(now + 1000);
    const oldest = oldestTrimmableRts(this.#sql, this.#head);
    if (oldest !== null) this.#armTrim(Math.max(now + TRIM_INTERVAL_MS, oldest + ring.max_seconds * 1000));
  }

  async #seal(ref: AssetRef, sinceSeconds: number, bucketName: string): Promise<SealResult> {
    const now = Date.now();
    const head = this.#head;
    const win = ringWindow(this.#sql, head, ref.ring, now);
    const first = sinceSeconds === 0
      ? win.start
      : Math.max(win.start, firstSeqReceivedSince(this.#sql, head, now - sinceSeconds * 1000));
    const end = win.end;
    if (first >= end) return { ok: true, value: { empty: true } };

    this.#pinnedFrom = first;
    try {
      const result = await sealWindow({
        sql: this.#sql,
        store: new R2Store(this.env.EVIDENCE, bucketName),
        tenant: ref.tenant,
        asset: ref.asset,
        first,
        end,
        sinceSeconds,
        nowMs: now,
        lines: () => readLines(this.#sql, first, end),
      });
      return result;
    } finally {
      this.#pinnedFrom = Infinity;
    }
  }

  /** Record which asset this object serves (and its ring bounds); a mismatch is a routing bug. */
  #bind(ref: AssetRef): void {
    const bound = this.#meta("identity");
    const identity = JSON.stringify([ref.tenant, ref.asset]);
    if (bound === undefined) this.#setMeta("identity", identity);
    else if (bound !== identity) throw new Error("AssetLog called with a different tenant/asset than it holds");
    const ring = JSON.stringify({ max_lines: ref.ring.max_lines, max_seconds: ref.ring.max_seconds });
    if (ring !== this.#ringJson) {
      this.#setMeta("ring", ring);
      this.#ringJson = ring;
    }
  }

  #armTrim(atMs: number): void {
    if (this.#alarmArmed) return;
    this.#alarmArmed = true;
    void this.ctx.storage.setAlarm(atMs);
  }

  #meta(k: string): string | undefined {
    return this.#sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray()[0]?.v;
  }

  #setMeta(k: string, v: string): void {
    this.#sql.exec("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", k, v);
  }
}

