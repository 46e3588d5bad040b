/**
 * AssetLog Durable Object: the single writer of one (tenant, asset) log.
 * Appends canonical stored lines with gap-free seq, keeps the ring buffer
 * bounded by count and age, and seals windows into evidence bundles.
 */
import { DurableObject } from "cloudflare:workers";
import type { RingConfig } from "../../shared/config.ts";
import { CompactRange } from "../../shared/evidence/merkle.ts";
import { nodeHasher } from "../../shared/evidence/node-hasher.ts";
import { parseSigningKeys, type SigningKeySet } from "../../shared/evidence/signing-keys.ts";
import { storedLine, type PreparedEvent } from "../../shared/events.ts";
import { ASSET_BURST_SECONDS, ASSET_INDEX_INTERVAL_MS, CHUNK_MAX_BYTES, TRIM_BATCH_CHUNKS, TRIM_INTERVAL_MS } from "../../shared/limits.ts";
import { TokenBucket } from "../../shared/token-bucket.ts";
import { hasSchema, migrate } from "../../shared/sql-migrations.ts";
import { R2Store } from "../../shared/storage/r2-store.ts";
import { tenantObjectName, type Env } from "../env.ts";
import { describe, sealWindow, type BundleInfo, type BundleRow, type SealError } from "./bundle-builder.ts";
import { frontierAt, headFrontier } from "./frontier.ts";
import { readLines } from "./read-lines.ts";
import { firstSeqReceivedSince, oldestTrimmable, readHead, ringWindow, trimChunks, type Head } from "./ring-buffer.ts";
import { ASSET_LOG_MIGRATIONS } from "./schema.ts";

const encoder = new TextEncoder();

/** A seal's window: seconds back by receive time (0 = whole buffer), or on from the last bundle. */
export type Since = number | "continue";

export interface AssetRef {
  tenant: string;
  asset: string;
  ring: RingConfig;
  /** Per-asset ingest cap (events per second), so one noisy asset cannot starve its tenant. */
  events_per_second?: number;
}

export interface AppendResult {
  accepted: number;
  first_seq: number;
  end_seq: number;
  /** SQLite rows written by this append (what Cloudflare bills), from the cursors. */
  rows_written: number;
  /** Set when the asset's ingest cap refused the batch (nothing stored): seconds to wait. */
  retry_after_seconds?: number;
  /** Set when the batch's dedupe key was seen before: nothing stored, the original range returned. */
  duplicate?: boolean;
}

export interface BufferStats {
  /** Lines inside the buffer's bounds now. */
  size: number;
  oldest_seq: number;
  next_seq: number;
  evicted_total: number;
  /** Chunk rows physically stored (trimming is lazy, so may exceed the window). */
  stored_chunks: number;
  /** Size of this object's SQLite database. */
  database_bytes: number;
}

export type SealResult =
  | { ok: true; value: { empty: true } | { empty: false; bundle: BundleInfo; reused: boolean } }
  | { ok: false; error: SealError };

export class AssetLog extends DurableObject<Env> {
  #sql: SqlStorage;
  /** Schema exists; migrations run on the first append, so reads of unknown assets store nothing. */
  #ready: boolean;
  #head: Head;
  /** Merkle frontier after the newest line (RFC 6962 tree over every line ever accepted). */
  #frontier: CompactRange;
  #ringJson = "";
  #signingKeys: Promise<{ ok: true; value: SigningKeySet } | { ok: false; error: string }> | undefined;
  /** When the trim alarm is set for (epoch ms), or null. */
  #alarmAt: number | null = null;
  /** Seals run one at a time; while one runs, trimming stays below its first seq. */
  #sealing: Promise<unknown> = Promise.resolve();
  #pinnedFrom = Infinity;
  #bucket: TokenBucket | undefined;
  #reportedAt = -Infinity;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#ready = hasSchema(this.#sql);
    if (this.#ready) {
      migrate(this.#sql, ASSET_LOG_MIGRATIONS);
      this.#head = readHead(this.#sql);
      this.#frontier = headFrontier(this.#sql, this.#head.nextSeq);
      this.#ringJson = this.#meta("ring") ?? "";
    } else {
      this.#head = { nextSeq: 0, lastRts: 0 };
      this.#frontier = new CompactRange(0, [], nodeHasher);
    }
    ctx.blockConcurrencyWhile(async () => {
      this.#alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** Append events as stored lines. All-or-nothing: the batch commits in one transaction. */
  async append(ref: AssetRef, events: PreparedEvent[], opts: { dedupe_key?: string } = {}): Promise<AppendResult> {
    const seen = opts.dedupe_key === undefined ? undefined : this.#seenBatch(opts.dedupe_key);
    if (seen) return { accepted: seen.end_seq - seen.first_seq, first_seq: seen.first_seq, end_seq: seen.end_seq, rows_written: 0, duplicate: true };
    const wait = this.#admit(ref, events.length);
    if (wait > 0) return { accepted: 0, first_seq: this.#head.nextSeq, end_seq: this.#head.nextSeq, rows_written: 0, retry_after_seconds: wait };
    if (!this.#ready) {
      migrate(this.#sql, ASSET_LOG_MIGRATIONS);
      this.#ready = true;
    }
    const metaRows = this.#bind(ref, true);
    const first = this.#head.nextSeq;
    if (events.length === 0) return { accepted: 0, first_seq: first, end_seq: first, rows_written: metaRows };
    // Receive times never go backwards, so age bounds stay a prefix of seq.
    const rts = Math.max(Date.now(), this.#head.lastRts);
    let seq = first;
    let rowsWritten = metaRows;
    const frontier = this.#frontier.clone();
    this.ctx.storage.transactionSync(() => {
      let chunkFirst = seq;
      let chunkFrontier = frontier.encode();
      let lines: string[] = [];
      let bytes = 0;
      let batchChunk = true;
      const flush = () => {
        if (!lines.length) return;
        // The batch's first chunk carries its dedupe key; its end is known after the loop.
        const key = batchChunk ? opts.dedupe_key ?? null : null;
        rowsWritten += this.#sql.exec(
          "INSERT INTO chunks (first_seq, end_seq, rts, bytes, frontier, lines, dedupe_key, batch_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          chunkFirst, seq, rts, bytes, chunkFrontier, lines.join(""), key, key === null ? null : first + events.length,
        ).rowsWritten;
        batchChunk = false;
        chunkFirst = seq;
        chunkFrontier = frontier.encode();
        lines = [];
        bytes = 0;
      };
      for (const ev of events) {
        const line = storedLine(ref.asset, seq, rts, ev);
        const lineBytes = encoder.encode(line);
        if (bytes + lineBytes.byteLength + 1 > CHUNK_MAX_BYTES && lines.length) flush();
        frontier.append(lineBytes);
        lines.push(line + "\n");
        bytes += lineBytes.byteLength + 1;
        seq++;
      }
      flush();
    });
    // Only now, after the commit, does the in-memory tree move on.
    this.#frontier = frontier;
    this.#head = { nextSeq: seq, lastRts: rts };
    await this.#reportActivity(ref, rts);
    // Once the count bound evicts, trim within TRIM_INTERVAL_MS; until then, when the oldest line ages out.
    this.#armTrim(seq > ref.ring.max_lines ? rts + TRIM_INTERVAL_MS : rts + ref.ring.max_seconds * 1000);
    return { accepted: events.length, first_seq: first, end_seq: seq, rows_written: rowsWritten };
  }

  /** Where the buffer stands now under `ref.ring`. */
  async stats(ref: AssetRef): Promise<BufferStats> {
    if (!this.#ready) return { size: 0, oldest_seq: 0, next_seq: 0, evicted_total: 0, stored_chunks: 0, database_bytes: 0 };
    this.#bind(ref);
    const win = ringWindow(this.#sql, this.#head, ref.ring, Date.now());
    const chunks = this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM chunks").one().n;
    return {
      size: win.end - win.start, oldest_seq: win.start, next_seq: win.end,
      evicted_total: win.start, stored_chunks: chunks, database_bytes: this.#sql.databaseSize,
    };
  }

  /**
   * Seal the lines received in the last `since` seconds (0 = the whole buffer; "continue" = from
   * where the asset's last bundle ended) into an
   * evidence bundle in the store. Each call makes a new bundle, except that the same range
   * sealed again within the same second is the same object key, and returns that bundle.
   */
  async seal(ref: AssetRef, since: Since, bucketName: string): Promise<SealResult> {
    if (!this.#ready) return { ok: true, value: { empty: true } };
    this.#bind(ref);
    const run = this.#sealing.then(() => this.#seal(ref, since, bucketName));
    this.#sealing = run.catch(() => undefined);
    return run;
  }

  /** This asset's bundles, newest first; `before` is the cursor the previous page returned. */
  async bundles(ref: AssetRef, limit: number, before?: string): Promise<{ bundles: BundleInfo[]; cursor: string | null }> {
    if (!this.#ready) return { bundles: [], cursor: null };
    this.#bind(ref);
    const rows = this.#sql
      .exec<BundleRow & { n: number }>(
        "SELECT rowid AS n, * FROM bundles WHERE rowid < ? ORDER BY rowid DESC LIMIT ?",
        before === undefined ? Number.MAX_SAFE_INTEGER : Number(before), limit + 1,
      )
      .toArray();
    const store = new R2Store(this.env.EVIDENCE, this.env.EVIDENCE_BUCKET_NAME ?? "evidence");
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { bundles: page.map((r) => describe(r, store)), cursor: rows.length > limit && last ? String(last.n) : null };
  }

  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    if (!this.#ready) return;
    const ring = this.#ringJson ? (JSON.parse(this.#ringJson) as RingConfig) : null;
    if (!ring) return;
    const now = Date.now();
    const win = ringWindow(this.#sql, this.#head, ring, now);
    const { more } = trimChunks(this.#sql, win.start, this.#pinnedFrom, TRIM_BATCH_CHUNKS);
    if (more) return this.#armTrim(now + 1000);
    const oldest = oldestTrimmable(this.#sql, this.#head);
    if (!oldest) return;
    // Still below the window: a seal pinned it; try again shortly. Otherwise wait for it to age out
    // (appends pull the alarm earlier once the count bound evicts).
    this.#armTrim(oldest.first_seq < win.start ? now + TRIM_INTERVAL_MS : oldest.rts + ring.max_seconds * 1000);
  }

  async #seal(ref: AssetRef, since: Since, bucketName: string): Promise<SealResult> {
    const keys = await this.#keys();
    if (!keys.ok) return { ok: false, error: { code: "signing_unavailable", detail: keys.error } };
    // From here to the pin, everything about the range is read synchronously: no await lets
    // an append shift the head, or an alarm trim the range, in between.
    const now = Date.now();
    const head = this.#head;
    const frontierAfter = this.#frontier.clone();
    const win = ringWindow(this.#sql, head, ref.ring, now);
    let first: number;
    let windowSinceMs: number;
    let truncated: boolean;
    if (since === "continue") {
      // From where the asset's last bundle ended, so consecutive bundles continue each other exactly.
      const prevEnd = this.#sql.exec<{ end_seq: number }>("SELECT end_seq FROM bundles ORDER BY rowid DESC LIMIT 1").toArray()[0]?.end_seq;
      first = Math.max(win.start, prevEnd ?? 0);
      windowSinceMs = this.#rtsOf(first) ?? now;
      // Lines after the last bundle were lost if the buffer no longer reaches back to its end.
      truncated = prevEnd === undefined ? win.start > 0 : prevEnd < win.start;
    } else {
      windowSinceMs = since === 0 ? this.#rtsOf(win.start) ?? now : now - since * 1000;
      first = since === 0 ? win.start : Math.max(win.start, firstSeqReceivedSince(this.#sql, head, windowSinceMs));
      // Lines of the window were evicted if the newest evicted line was received inside it.
      const lastEvictedRts = win.start > 0 ? this.#rtsOf(win.start - 1) : null;
      truncated = win.start > 0 && (since === 0 || (lastEvictedRts ?? Infinity) >= windowSinceMs);
    }
    const sinceSeconds = since === "continue" ? Math.max(0, Math.ceil((now - windowSinceMs) / 1000)) : since;
    const end = win.end;
    if (first >= end) return { ok: true, value: { empty: true } };
    const frontierBefore = frontierAt(this.#sql, first);
    if (!frontierBefore) throw new Error(`no stored frontier for seq ${first}`);

    this.#pinnedFrom = first;
    try {
      return await sealWindow({
        sql: this.#sql,
        store: new R2Store(this.env.EVIDENCE, bucketName),
        signer: keys.value.active,
        tenant: ref.tenant,
        asset: ref.asset,
        first,
        end,
        sinceSeconds,
        nowMs: now,
        windowSinceMs,
        frontierBefore,
        frontierAfter,
        buffer: { oldest_seq_available: win.start, truncated, evicted_total: win.start },
        lines: () => readLines(this.#sql, first, end),
        indexBundle: (entry) => this.env.TENANT.getByName(tenantObjectName(ref.tenant)).indexBundle(entry),
      });
    } finally {
      this.#pinnedFrom = Infinity;
    }
  }

  /** Receive time of a seq: from its chunk if still stored, else the newest trimmed chunk's. */
  #rtsOf(seq: number): number | null {
    const row = this.#sql
      .exec<{ rts: number }>("SELECT rts FROM chunks WHERE first_seq <= ? AND end_seq > ? ORDER BY first_seq DESC LIMIT 1", seq, seq)
      .toArray()[0];
    if (row) return row.rts;
    const trimmed = this.#meta("trimmed_rts");
    return trimmed === undefined ? null : Number(trimmed);
  }

  #keys() {
    // Parsed once per instance; a changed secret reaches new instances (deploys restart objects).
    this.#signingKeys ??= parseSigningKeys(this.env.EVIDENCE_SIGNING_KEYS);
    return this.#signingKeys;
  }

  /**
   * Check that this object serves `ref`'s tenant and asset (a mismatch is a routing bug).
   * Only appends record the identity and ring bounds.
   */
  #bind(ref: AssetRef, writing = false): number {
    const bound = this.#meta("identity");
    const identity = JSON.stringify([ref.tenant, ref.asset]);
    if (bound !== undefined && bound !== identity) throw new Error("AssetLog called with a different tenant/asset than it holds");
    if (!writing) return 0;
    let rows = 0;
    if (bound === undefined) rows += this.#setMeta("identity", identity);
    const ring = JSON.stringify({ max_lines: ref.ring.max_lines, max_seconds: ref.ring.max_seconds });
    if (ring !== this.#ringJson) {
      rows += this.#setMeta("ring", ring);
      this.#ringJson = ring;
    }
    return rows;
  }

  /**
   * Tell the tenant's index about this asset: at once on the first append of this instance (so
   * a new asset is listed when its first request is answered), then at most every
   * ASSET_INDEX_INTERVAL_MS, not awaited. A failed report is retried by the next append.
   */
  async #reportActivity(ref: AssetRef, rts: number): Promise<void> {
    if (rts - this.#reportedAt < ASSET_INDEX_INTERVAL_MS) return;
    const first = this.#reportedAt === -Infinity;
    this.#reportedAt = rts;
    // first_seen only counts on the index's first insert, which is this asset's first append.
    const report = this.env.TENANT.getByName(tenantObjectName(ref.tenant))
      .touchAsset({ asset: ref.asset, first_seen: rts, last_seen: rts, events_total: this.#head.nextSeq })
      .catch(() => { this.#reportedAt = -Infinity; });
    if (first) await report;
  }

  /** The range a batch with this dedupe key was stored at, while its first chunk is still stored. */
  #seenBatch(key: string): { first_seq: number; end_seq: number } | undefined {
    if (!this.#ready) return undefined;
    const row = this.#sql
      .exec<{ first_seq: number; batch_end: number }>("SELECT first_seq, batch_end FROM chunks WHERE dedupe_key = ? LIMIT 1", key)
      .toArray()[0];
    return row ? { first_seq: row.first_seq, end_seq: row.batch_end } : undefined;
  }

  /** Seconds to wait before this batch may be stored (0: admitted). Kept in memory: a restart refills it. */
  #admit(ref: AssetRef, n: number): number {
    const rate = ref.events_per_second;
    if (!rate || n === 0) return 0;
    if (!this.#bucket || this.#bucket.ratePerSecond !== rate) this.#bucket = new TokenBucket(rate, ASSET_BURST_SECONDS, Date.now());
    return this.#bucket.take(n, Date.now());
  }

  /** Set the trim alarm for `atMs` unless one is already due sooner. */
  #armTrim(atMs: number): void {
    if (this.#alarmAt !== null && this.#alarmAt <= atMs) return;
    this.#alarmAt = atMs;
    void this.ctx.storage.setAlarm(atMs);
  }

  #meta(k: string): string | undefined {
    return this.#sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray()[0]?.v;
  }

  #setMeta(k: string, v: string): number {
    return this.#sql.exec("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", k, v).rowsWritten;
  }
}

