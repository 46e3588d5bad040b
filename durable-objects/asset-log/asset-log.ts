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
import { storedLines, type PreparedEvent } from "../../shared/events.ts";
import { isPacked, unpackEvents, type PackedEvents } from "../../shared/packed-events.ts";
import { ASSET_BURST_SECONDS, ASSET_INDEX_INTERVAL_MS, CHUNK_MAX_BYTES, EVIDENCE_PART_BYTES, HELD_DATABASE_MAX_BYTES, EXPORT_DELAY_MS, UPLOAD_INTERRUPTED_RETRY_MS, UPLOAD_PENDING_MAX_MS, UPLOADS_PER_ALARM, TRIM_BATCH_CHUNKS, TRIM_INTERVAL_MS } from "../../shared/limits.ts";
import { TokenBucket } from "../../shared/token-bucket.ts";
import { hasSchema, migrate } from "../../shared/sql-migrations.ts";
import { assetObjectName, tenantObjectName, type Env } from "../env.ts";
import { describe, gzipWhole, recordUpload, sealWindow, uploadRow, type BundleInfo, type BundleRow, type SealError } from "./bundle-builder.ts";
import { evidenceStoreFor, storeDeps } from "../../shared/storage/store-for.ts";
import { endpointRefusal } from "../../shared/storage/endpoint-policy.ts";
import type { EvidenceStoreConfig } from "../../shared/tenant-config.ts";
import { frontierAt, headFrontier } from "./frontier.ts";
import { LiveTail, type TailSource } from "./live-tail.ts";
import { merkleAppender } from "./merkle-appender.ts";
import { readLines } from "./read-lines.ts";
import { firstSeqReceivedSince, oldestTrimmable, readHead, ringWindow, trimChunks, type Head } from "./ring-buffer.ts";
import { ASSET_LOG_MIGRATIONS } from "./schema.ts";
import { AlertEngine, type EvalEvent } from "./alert-engine.ts";
import { addRepeats, changeLine, firedLine, getAlert, insertAlerts, listAlerts, transition, trimAlerts, viewOf, type AlertAction, type AlertStatus, type AlertView, type TransitionError } from "./alert-records.ts";
import { Forwarder, type DeadLetter } from "./forwarder.ts";
import type { AssetRules } from "../../shared/asset-rules.ts";
import { log } from "../../shared/log.ts";
import { RollupStore } from "./rollups.ts";
import { spill, type SpillState } from "./raw-spill.ts";
import { exportCounters, produceExports } from "./exporter.ts";
import { summarize, type SummaryQuery, type AssetSummary } from "./summary.ts";
import type { AssetMetrics } from "../../shared/asset-metrics.ts";
import { ALERT_SOURCE } from "../../shared/events.ts";
import { ringTailSource } from "./tail-source.ts";
import { incidentActive, incidentPredicate, newerIncident, raiseRing, type Incident } from "../../shared/incident.ts";
import { incidentStep, type IncidentSealState } from "./incident-sealing.ts";

/** A seal's window: seconds back by receive time (0 = whole buffer), or on from the last bundle. */
export type Since = number | "continue";

export interface AssetRef {
  tenant: string;
  asset: string;
  ring: RingConfig;
  /** Per-asset ingest cap (events per second), so one noisy asset cannot starve its tenant. */
  events_per_second?: number;
  /** The tenant's rules as they apply to this asset (absent: none, and the default counting rule). */
  rules?: AssetRules;
  /** The tenant's evidence store (absent: R2); secrets by name only. */
  store?: EvidenceStoreConfig;
  /** SHA-256 of the redaction profile applied to this append's records (absent: none). */
  redaction_digest?: string;
}

export type AlertActionResult = { ok: true; alert: AlertView } | { ok: false; error: TransitionError };

const LEVEL_CHARS: Record<string, string> = { CRITICAL: "C", ERROR: "E", WARN: "W", INFO: "I", DEBUG: "D" };
/** Rules of an append that carries none (direct RPC use): no alerts, the default counting rule, no forwarding. */
const DEFAULT_ASSET_RULES: AssetRules = { alert_rules: [], alert_webhook: null, counting_rules: ["waf-blocks"], forwarding: null, summary_days: 30, raw_spill: false, store: null, exports: [] };
/** Redaction profile changes remembered per asset (for bundle predicates). */
const REDACTION_HISTORY = 100;
/** An alarm step that threw is tried again after this long. */
const ALARM_STEP_RETRY_MS = 60_000;
/** Housekeeping (rollup retention, alert state pruning) runs at most this often. */
const HOUSEKEEPING_INTERVAL_MS = 3_600_000;

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
  /** Raw spill progress, when the tenant has it on. */
  raw_spill?: SpillState;
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
  /**
   * meta values as last read or written (undefined: no row). This object is the table's only
   * writer, so appends read identity, ring, rules and the like from here, not SQLite; a new
   * instance starts empty, and a rolled-back transaction empties it.
   */
  #metaCache = new Map<string, string | undefined>();
  #bucket: TokenBucket | undefined;
  #reportedAt = -Infinity;
  #rollups: RollupStore;
  #alerts: AlertEngine;
  #forwarder: Forwarder;
  /** Live tail WebSockets (hibernation API) and the window of stored lines they read. */
  #tailSource: TailSource = ringTailSource({
    sql: this.ctx.storage.sql,
    head: () => this.#head,
    ring: () => (this.#ready ? this.#storedRing(Date.now()) : null),
    aggregates: () => this.#recentAggregates(),
  });
  #tail = new LiveTail(this.ctx, this.#tailSource);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#rollups = new RollupStore(this.#sql);
    this.#alerts = new AlertEngine(this.#sql);
    this.#forwarder = new Forwarder({
      sql: this.#sql,
      rollups: this.#rollups,
      tenant: () => this.#identity()[0],
      asset: () => this.#identity()[1],
      meta: (k) => this.#meta(k),
      setMeta: (k, v) => { if (v === null) this.#deleteMeta(k); else this.#setMeta(k, v); },
      secret: (name) => {
        const v = (env as unknown as Record<string, unknown>)[name];
        return typeof v === "string" ? v : undefined;
      },
      fetch: (input, init) => fetch(input, init),
      webhook: () => this.#storedRules().alert_webhook ?? null,
      refuse: (url) => endpointRefusal(url, env.ALLOW_INSECURE_STORE_ENDPOINTS === "true"),
      exports: () => this.#storedRules().exports ?? [],
      onExport: (payload, result) => {
        const counters = exportCounters({ meta: (k) => this.#meta(k) });
        const c = (counters[payload.destination] ??= { queued: 0, sent: 0, dlq: 0, skipped: 0 });
        c[result] += payload.events;
        this.#setMeta("export_counters", JSON.stringify(counters));
      },
    });
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

  /**
   * Append events as stored lines. All-or-nothing: the batch commits in one transaction.
   * The edge sends them packed (packEvents: far cheaper to pass by RPC); an array works too.
   */
  async append(ref: AssetRef, batch: PreparedEvent[] | PackedEvents, opts: { dedupe_key?: string } = {}): Promise<AppendResult> {
    const events = isPacked(batch) ? unpackEvents(batch) : batch;
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
    const [rules, ruleRows] = this.#rules(ref);
    const ring = this.#effectiveRing(ref.ring, ref.asset, rts, rules.incident);
    const redactionRows = this.#noteRedaction(first, ref.redaction_digest ?? null);
    // Alert lines follow the batch's events, under the same commit and Merkle tree.
    const evaluation = this.#alerts.evaluate(rules.alert_rules, rules.alert_rules.length ? events.map((ev, i): EvalEvent => ({ seq: first + i, ts: ev.ts, facts: ev.facts })) : [], rts);
    const all = evaluation.fired.length ? [...events, ...evaluation.fired.map(firedLine)] : events;
    const firedByRule = new Map<string, number>();
    for (const f of evaluation.fired) firedByRule.set(f.rule, (firedByRule.get(f.rule) ?? 0) + 1);
    let seq = first;
    let rowsWritten = metaRows + ruleRows + redactionRows;
    const frontier = this.#frontier.clone();
    let webhookQueued = false;
    try {
      this.#transaction(() => {
        const rollup = this.#rollups.add(rts, events.map((ev) => ev.facts), firedByRule, first + all.length);
        rowsWritten += rollup.rows + this.#writeChunks(ref.asset, all, first, rts, frontier, opts.dedupe_key, rollup.delta);
        seq = first + all.length;
        rowsWritten += this.#alerts.persist(rts);
        if (evaluation.fired.length) {
          rowsWritten += insertAlerts(this.#sql, evaluation.fired, rts);
          for (const f of evaluation.fired) {
            if (this.#forwarder.enqueueAlert(ref.tenant, ref.asset, viewOf(getAlert(this.#sql, f.id)!), rts)) webhookQueued = true;
          }
        }
        if (evaluation.repeats.size) rowsWritten += addRepeats(this.#sql, evaluation.repeats);
        if (firedByRule.size) rowsWritten += this.#countFired(firedByRule);
      });
    } catch (e) {
      this.#alerts.discard();
      this.#rollups.discard();
      throw e;
    }
    // Only now, after the commit, does the in-memory tree move on.
    this.#frontier = frontier;
    this.#head = { nextSeq: seq, lastRts: rts };
    if (this.ctx.getWebSockets().length) this.#tail.publish(this.#tailSource.lines(first, seq - first));
    await this.#reportActivity(ref, rts);
    // Once the count bound evicts, trim within TRIM_INTERVAL_MS; until then, when the oldest line ages out.
    this.#armTrim(seq > ring.max_lines ? rts + TRIM_INTERVAL_MS : rts + ring.max_seconds * 1000);
    // An incident this asset has not started sealing for yet: the alarm starts it.
    if (rules.incident && incidentActive(rules.incident, ref.asset, rts) && this.#meta("incident_seal") === undefined) this.#armTrim(rts);
    const forwardAt = this.#forwarder.noteAppend(rts);
    if (forwardAt !== null) this.#armTrim(forwardAt);
    if (webhookQueued) this.#armTrim(rts);
    if (rules.exports?.length) this.#armTrim(rts + EXPORT_DELAY_MS);
    if (this.#meta("housekeeping_next") === undefined) {
      rowsWritten += this.#setMeta("housekeeping_next", String(rts + HOUSEKEEPING_INTERVAL_MS));
      this.#armTrim(rts + HOUSEKEEPING_INTERVAL_MS);
    }
    if (evaluation.fired.length && this.ctx.getWebSockets().length) {
      for (const f of evaluation.fired) this.#tail.publishAlert(viewOf(getAlert(this.#sql, f.id)!));
    }
    return { accepted: events.length, first_seq: first, end_seq: seq, rows_written: rowsWritten };
  }

  /** Write lines as chunk rows of at most CHUNK_MAX_BYTES; moves `frontier` on. Returns rows written. */
  #writeChunks(asset: string, all: readonly PreparedEvent[], first: number, rts: number, frontier: CompactRange, dedupeKey: string | undefined, rollup: string | null): number {
    let levels = "";
    for (const ev of all) levels += ev.source === ALERT_SOURCE ? "A" : LEVEL_CHARS[ev.facts?.level ?? ""] ?? "-";
    let rows = 0;
    merkleAppender.appendLines(frontier, storedLines(asset, first, rts, all), CHUNK_MAX_BYTES, (chunk) => {
      // The batch's first chunk carries its dedupe key, the batch's end and its rollup delta.
      const key = chunk.from === 0 ? dedupeKey ?? null : null;
      rows += this.#sql.exec(
        "INSERT INTO chunks (first_seq, end_seq, rts, bytes, frontier, lines, dedupe_key, batch_end, levels, rollup) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        first + chunk.from, first + chunk.to, rts, chunk.bytes, chunk.frontierBefore, chunk.text, key, key === null ? null : first + all.length,
        chunk.to - chunk.from === all.length ? levels : levels.slice(chunk.from, chunk.to), chunk.from === 0 ? rollup : null,
      ).rowsWritten;
    });
    return rows;
  }

  /** Where the buffer stands now under `ref.ring`. */
  async stats(ref: AssetRef): Promise<BufferStats> {
    if (!this.#ready) return { size: 0, oldest_seq: 0, next_seq: 0, evicted_total: 0, stored_chunks: 0, database_bytes: 0 };
    this.#bind(ref);
    const now = Date.now();
    const win = ringWindow(this.#sql, this.#head, this.#effectiveRing(ref.ring, ref.asset, now, this.#knownIncident(ref)), now);
    const chunks = this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM chunks").one().n;
    return {
      size: win.end - win.start, oldest_seq: win.start, next_seq: win.end,
      evicted_total: win.start, stored_chunks: chunks, database_bytes: this.#sql.databaseSize,
      ...(this.#storedRules().raw_spill ? { raw_spill: this.#spillState() } : {}),
    };
  }

  /**
   * Seal the lines received in the last `since` seconds (0 = the whole buffer; "continue" = from
   * where the asset's last bundle ended) into an
   * evidence bundle in the store. Each call makes a new bundle, except that the same range
   * sealed again within the same second is the same object key, and returns that bundle.
   */
  async seal(ref: AssetRef, since: Since): Promise<SealResult> {
    if (!this.#ready) return { ok: true, value: { empty: true } };
    this.#bind(ref);
    const run = this.#sealing.then(() => this.#seal(ref, since));
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
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { bundles: page.map((r) => describe(r)), cursor: rows.length > limit && last ? String(last.n) : null };
  }

  /** WebSocket upgrades for the live tail, the only use of fetch; the edge has authenticated the client. */
  override async fetch(request: Request): Promise<Response> {
    // The edge names the tenant and asset it verified; they must be the ones this object holds.
    const name = this.ctx.id.name;
    return this.#tail.connect(request, (tenant, asset) => name !== undefined
      ? name === assetObjectName(tenant, asset)
      : ((this.#ready ? this.#meta("identity") : undefined) ?? JSON.stringify([tenant, asset])) === JSON.stringify([tenant, asset]));
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    this.#tail.message(ws, message);
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    this.#tail.closed(ws, code, reason);
  }

  override webSocketError(ws: WebSocket): void {
    this.#tail.closed(ws);
  }

  /**
   * Rollups merged over [since, until) (receive time, whole minutes), with the ops-telemetry
   * summary of the window. Reads only; an unknown asset has an empty summary.
   */
  async summary(ref: AssetRef, q: SummaryQuery): Promise<AssetSummary> {
    if (this.#ready) this.#bind(ref);
    return summarize(this.#ready ? this.#rollups : null, q, ref.rules?.counting_rules ?? ["waf-blocks"]);
  }

  /** Alert records, newest first; `before` is the cursor the previous page returned. */
  async alerts(ref: AssetRef, q: { status?: AlertStatus; limit: number; before?: number }): Promise<{ alerts: AlertView[]; cursor: string | null }> {
    if (!this.#ready) return { alerts: [], cursor: null };
    this.#bind(ref);
    return listAlerts(this.#sql, q);
  }

  /**
   * Acknowledge, suppress or resolve an alert; the change is recorded in the alert and appended
   * to the log. Suppressing mutes new alerts of the same rule and key for `mute_seconds`.
   */
  async alertAction(ref: AssetRef, id: string, action: AlertAction, by: { actor: string; note?: string; mute_seconds?: number }): Promise<AlertActionResult> {
    if (!this.#ready) return { ok: false, error: { code: "not_found" } };
    this.#bind(ref);
    const now = Math.max(Date.now(), this.#head.lastRts);
    let result = { ok: false, error: { code: "not_found" } } as AlertActionResult;
    const frontier = this.#frontier.clone();
    const first = this.#head.nextSeq;
    const mutedUntil = action === "suppress" ? now + (by.mute_seconds ?? 0) * 1000 : undefined;
    try {
      this.#transaction(() => {
        const t = transition(this.#sql, id, action, { actor: by.actor, ...(by.note !== undefined ? { note: by.note } : {}), ...(mutedUntil !== undefined ? { muted_until: mutedUntil } : {}) }, now);
        if (!t.ok) return void (result = t);
        if (action === "resolve") this.#alerts.forget(t.row.rule, t.row.key ?? "", t.row.id);
        if (mutedUntil !== undefined && mutedUntil > now) this.#alerts.mute(t.row.rule, t.row.key ?? "", mutedUntil);
        this.#alerts.persist(now);
        this.#writeChunks(ref.asset, [changeLine(t.row, now)], first, now, frontier, undefined, null);
        result = { ok: true, alert: viewOf(t.row) };
      });
    } catch (e) {
      this.#alerts.discard();
      throw e;
    }
    if (result.ok) {
      this.#frontier = frontier;
      this.#head = { nextSeq: first + 1, lastRts: now };
      if (this.ctx.getWebSockets().length) {
        this.#tail.publish(this.#tailSource.lines(first, 1));
        this.#tail.publishAlert(result.alert);
      }
    }
    return result;
  }

  /** Forwarding payloads that exhausted their attempts, newest first. */
  async deadLetters(ref: AssetRef, limit: number): Promise<{ dead_letters: DeadLetter[]; depth: number; outbox: number }> {
    if (!this.#ready) return { dead_letters: [], depth: 0, outbox: 0 };
    this.#bind(ref);
    return { dead_letters: this.#forwarder.deadLetters(limit), depth: this.#forwarder.dlqDepth(), outbox: this.#forwarder.outboxDepth() };
  }

  /** Send dead letters (all, or those named) again, starting now. */
  async redrive(ref: AssetRef, ids?: string[]): Promise<{ redriven: number }> {
    if (!this.#ready) return { redriven: 0 };
    this.#bind(ref);
    const now = Date.now();
    const redriven = this.#transaction(() => this.#forwarder.redrive(ids, now));
    if (redriven) this.#armTrim(now);
    return { redriven };
  }

  /**
   * Summary retention, as the cron drives it: delete the rollup minutes older than
   * `ref.rules.summary_days` before `nowMs`. Idempotent; an unknown asset stores nothing.
   */
  async applyRetention(ref: AssetRef, nowMs: number): Promise<{ rollups_deleted: number }> {
    if (!this.#ready) return { rollups_deleted: 0 };
    this.#bind(ref);
    const days = (ref.rules ?? this.#storedRules()).summary_days;
    return { rollups_deleted: this.#rollups.dropBefore(nowMs - days * 86_400_000) };
  }

  /** The numbers /metrics shows for this asset (also reported to the tenant's asset index). */
  async metrics(ref: AssetRef): Promise<AssetMetrics> {
    if (this.#ready) this.#bind(ref);
    return this.#metrics(this.#ready ? this.#effectiveRing(ref.ring, ref.asset, Date.now(), this.#knownIncident(ref)) : ref.ring);
  }

  /**
   * An incident started, changed or ended (the admin route tells each affected asset at once;
   * appends carry it too): keep the newest version and let the alarm seal. Unknown assets store nothing.
   */
  async noteIncident(ref: AssetRef): Promise<{ applied: boolean }> {
    if (!this.#ready || !ref.rules) return { applied: false };
    this.#bind(ref);
    this.#rules(ref);
    this.#armTrim(Date.now());
    return { applied: true };
  }

  /** One alarm for all time-based work: trimming, forwarding, housekeeping. Each says when it is due next. */
  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    if (!this.#ready) return;
    const now = Date.now();
    // Each step on its own: one that throws (a bug, a storage error) must not stop the others or
    // leave the alarm unarmed; it is logged and tried again a minute later.
    const steps: [string, () => number | null | Promise<number | null>][] = [
      // First: an incident's closing seal must see the lines before trimming drops the raised bounds.
      ["incident", () => this.#incidentStep(now)],
      ["spill", () => this.#spillStep(now)],
      ["trim", () => this.#trimStep(now)],
      ["upload", () => this.#uploadStep(now)],
      ["export", () => this.#exportStep(now)],
      ["forward", () => this.#forwarder.run(now, this.#head.lastRts)],
      ["housekeeping", () => this.#housekeeping(now)],
    ];
    for (const [step, run] of steps) {
      let next: number | null;
      try {
        next = await run();
      } catch (e) {
        const [tenant, asset] = this.#identity();
        log.error("AlarmStepFailed", { tenant, asset, step, error: String((e as Error).message ?? e).slice(0, 300) });
        next = now + ALARM_STEP_RETRY_MS;
      }
      if (next !== null) this.#armTrim(next);
    }
  }

  /** Trim what left the ring; when to trim next, or null. */
  #trimStep(now: number): number | null {
    const ring = this.#storedRing(now);
    if (!ring) return null;
    const win = ringWindow(this.#sql, this.#head, ring, now);
    // Chunks carry rollup deltas: fold them into their minute's row before any chunk goes.
    this.#rollups.fold();
    const { more } = trimChunks(this.#sql, win.start, this.#pin(), TRIM_BATCH_CHUNKS);
    this.#metaCache.delete("trimmed_rts");
    if (more) return now + 1000;
    const oldest = oldestTrimmable(this.#sql, this.#head);
    if (!oldest) return null;
    // Still below the window: a seal pinned it; try again shortly. Otherwise wait for it to age out
    // (appends pull the alarm earlier once the count bound evicts).
    return oldest.first_seq < win.start ? now + TRIM_INTERVAL_MS : oldest.rts + ring.max_seconds * 1000;
  }

  /** Rollup retention, alert-state pruning, alert record bound: hourly while the asset has data. */
  #housekeeping(now: number): number | null {
    const due = this.#meta("housekeeping_next");
    if (due === undefined) return null;
    if (now < Number(due)) return Number(due);
    const rules = this.#storedRules();
    this.#transaction(() => {
      this.#rollups.dropBefore(now - rules.summary_days * 86_400_000);
      this.#alerts.prune(rules.alert_rules, now);
      trimAlerts(this.#sql);
    });
    const hasRollups = this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM rollups").one().n > 0;
    if (!hasRollups) {
      this.#deleteMeta("housekeeping_next");
      return null;
    }
    this.#setMeta("housekeeping_next", String(now + HOUSEKEEPING_INTERVAL_MS));
    return now + HOUSEKEEPING_INTERVAL_MS;
  }

  #metrics(ring: RingConfig): AssetMetrics {
    const empty = { success: 0, failure: 0, dlq: 0, dlq_dropped: 0 };
    if (!this.#ready) {
      return {
        ring_buffer_size: 0, ring_buffer_evictions_total: 0, evidence_bundles_generated_total: 0, forward_attempts_total: { success: 0, failure: 0, dlq: 0 },
        forward_dlq_depth: 0, alerts_fired_total: {}, evidence_uploads_pending: 0, raw_spill_segments_total: 0, raw_spill_dropped_total: 0,
      };
    }
    const win = ringWindow(this.#sql, this.#head, ring, Date.now());
    const fwd = this.#forwarder.counters() ?? empty;
    const spill = this.#meta("raw_spill") ? this.#spillState() : null;
    const fired = JSON.parse(this.#meta("alerts_fired") ?? "{}") as Record<string, number>;
    return {
      ring_buffer_size: win.end - win.start,
      ring_buffer_evictions_total: win.start,
      // Bundle rows are never deleted, so the newest rowid is their count (and reads one row, not all).
      evidence_bundles_generated_total: this.#sql.exec<{ n: number | null }>("SELECT MAX(rowid) AS n FROM bundles").one().n ?? 0,
      forward_attempts_total: { success: fwd.success, failure: fwd.failure, dlq: fwd.dlq },
      forward_dlq_depth: this.#forwarder.dlqDepth(),
      alerts_fired_total: fired,
      evidence_uploads_pending: this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM bundles WHERE upload_status = 'pending'").one().n,
      raw_spill_segments_total: spill?.segments ?? 0,
      raw_spill_dropped_total: spill?.dropped ?? 0,
      export_events_total: Object.fromEntries(Object.entries(exportCounters({ meta: (k) => this.#meta(k) })).map(([d, c]) => [d, { sent: c.sent, dlq: c.dlq, skipped: c.skipped }])),
    };
  }

  /** Lines held back for a failing store have filled storage up to its bound (the object's SQLite is capped at 10 GB). */
  #storageFull(): boolean {
    return this.#sql.databaseSize > HELD_DATABASE_MAX_BYTES;
  }

  /**
   * Which redaction profile applied from which seq on: a change (rare) adds an entry, so a bundle
   * can name every profile that applied to its lines. The newest REDACTION_HISTORY entries are kept.
   */
  #noteRedaction(seq: number, digest: string | null): number {
    const history = JSON.parse(this.#meta("redaction_history") ?? "[]") as [number, string | null][];
    if ((history.at(-1)?.[1] ?? null) === digest) return 0;
    history.push([seq, digest]);
    return this.#setMeta("redaction_history", JSON.stringify(history.slice(-REDACTION_HISTORY)));
  }

  /** The redaction profiles that applied to lines [first, end), or null when none did. */
  #redactionsIn(first: number, end: number): { from_seq: number; sha256: string }[] | null {
    const history = JSON.parse(this.#meta("redaction_history") ?? "[]") as [number, string | null][];
    const out: { from_seq: number; sha256: string }[] = [];
    history.forEach(([from, digest], i) => {
      const until = history[i + 1]?.[0] ?? Infinity;
      if (digest !== null && from < end && until > first) out.push({ from_seq: Math.max(from, first), sha256: digest });
    });
    return out.length ? out : null;
  }

  /** Alerts fired per rule, a monotonic counter (alert records are trimmed; this is not). */
  #countFired(firedByRule: ReadonlyMap<string, number>): number {
    const fired = JSON.parse(this.#meta("alerts_fired") ?? "{}") as Record<string, number>;
    for (const [rule, n] of firedByRule) fired[rule] = (Object.hasOwn(fired, rule) ? fired[rule]! : 0) + n;
    return this.#setMeta("alerts_fired", JSON.stringify(fired));
  }

  /** The rules an append carries, recorded (when changed) for the alarm's use. */
  #rules(ref: AssetRef): [AssetRules, number] {
    let rules = ref.rules ?? DEFAULT_ASSET_RULES;
    let rows = 0;
    // An edge isolate's cached config may carry an older version of the incident than one already seen.
    const stored = this.#meta("rules");
    const storedIncident = stored ? (JSON.parse(stored) as AssetRules).incident : undefined;
    if (storedIncident || rules.incident) {
      const incident = newerIncident(storedIncident, rules.incident);
      if (incident !== rules.incident) rules = { ...rules, incident };
      // Raised bounds must not bring back lines already evicted: the window keeps the start it has now.
      const now = Math.max(Date.now(), this.#head.lastRts);
      if (incident && incidentActive(incident, ref.asset, now) && JSON.parse(this.#meta("incident_floor") ?? "null")?.[0] !== incident.id) {
        const start = ringWindow(this.#sql, this.#head, this.#effectiveRing(ref.ring, ref.asset, now, storedIncident), now).start;
        rows += this.#setMeta("incident_floor", JSON.stringify([incident.id, start]));
      }
      // The incident being sealed changed (extended, ended): its closing bundle names the newest version.
      const state = incident ? this.#incidentSealState() : null;
      if (incident && state && state.incident.id === incident.id && state.incident.updated_at < incident.updated_at) this.#saveIncidentSealState({ ...state, incident });
    }
    const json = JSON.stringify(rules);
    if (stored !== json) rows += this.#setMeta("rules", json);
    rows += this.#forwarder.bind(rules.forwarding);
    return [rules, rows];
  }

  #storedRules(): AssetRules {
    const raw = this.#meta("rules");
    return raw ? (JSON.parse(raw) as AssetRules) : DEFAULT_ASSET_RULES;
  }

  /** The last hour's summary without its series: what a tail snapshot shows. */
  #recentAggregates(): Record<string, unknown> {
    const now = Date.now();
    const counting = this.#ready ? this.#storedRules().counting_rules : DEFAULT_ASSET_RULES.counting_rules;
    const { series: _series, ...last } = summarize(this.#ready ? this.#rollups : null, { since: now - 3_600_000, until: now }, counting);
    return { last_hour: last };
  }

  /**
   * The ring bounds in force: the tenant's (as last appended with), raised while an incident
   * applies and until its closing seal is done, so nothing it covered is trimmed before.
   */
  #effectiveRing(base: RingConfig, asset: string, now: number, incident: Incident | null | undefined): RingConfig {
    const inForce = incident ? this.#incidentInForce(asset, now, incident) : null;
    if (!inForce) return base;
    const floor = JSON.parse(this.#meta("incident_floor") ?? "null") as [string, number] | null;
    return { ...raiseRing(base, inForce.ring_factor), ...(floor && floor[0] === inForce.id ? { floor_seq: floor[1] } : {}) };
  }

  #storedRing(now: number): RingConfig | null {
    if (!this.#ringJson) return null;
    return this.#effectiveRing(JSON.parse(this.#ringJson) as RingConfig, this.#identity()[1], now, this.#storedRules().incident);
  }

  /** The newest incident this object knows of: stored, or carried by `ref`. */
  #knownIncident(ref: AssetRef): Incident | null {
    return newerIncident(this.#storedRules().incident, ref.rules?.incident);
  }

  /** The incident a bundle sealed now is under: the active one, or one whose closing seal is still due. */
  #incidentInForce(asset: string, now: number, incident: Incident | null | undefined): Incident | null {
    if (!incident) return null;
    if (incidentActive(incident, asset, now)) return incident;
    return this.#incidentSealState()?.incident ?? null;
  }

  /** The incident step's state (incident-sealing.ts), while an incident is being sealed. */
  #incidentSealState(): IncidentSealState | null {
    const raw = this.#meta("incident_seal");
    return raw ? (JSON.parse(raw) as IncidentSealState) : null;
  }

  #saveIncidentSealState(state: IncidentSealState | null): void {
    if (state === null) this.#deleteMeta("incident_seal");
    else this.#setMeta("incident_seal", JSON.stringify(state));
  }

  /** Hourly seals while an incident applies, and the closing one (incident-sealing.ts). */
  #incidentStep(now: number): Promise<number | null> {
    const [tenant, asset] = this.#identity();
    const rules = this.#storedRules();
    const base = this.#ringJson ? (JSON.parse(this.#ringJson) as RingConfig) : null;
    if (!base || (!rules.incident && this.#meta("incident_seal") === undefined)) return Promise.resolve(null);
    const ref: AssetRef = { tenant, asset, ring: base, rules, ...(rules.store ? { store: rules.store } : {}) };
    return incidentStep({
      asset,
      state: () => this.#incidentSealState(),
      saveState: (st) => this.#saveIncidentSealState(st),
      seal: async (incident, from) => {
        const run = this.#sealing.then(() => this.#seal(ref, "continue", incident, from));
        this.#sealing = run.catch(() => undefined);
        const res = await run;
        if (!res.ok) return { ok: false, error: `${res.error.code}${"detail" in res.error && res.error.detail ? `: ${res.error.detail}` : ""}` };
        return { ok: true, end: res.value.empty ? null : res.value.bundle.end_seq };
      },
      logFailure: (incident, error, givingUp) => log.error("IncidentSealFailed", { tenant, asset, incident: incident.id, error: error.slice(0, 300), giving_up: givingUp }),
    }, rules.incident ?? null, now);
  }

  #identity(): [string, string] {
    const raw = this.#meta("identity");
    return raw ? (JSON.parse(raw) as [string, string]) : ["", ""];
  }

  /**
   * `sealedUnder`: the incident the bundle is sealed under (the incident step's seals), else the
   * active one, if any; `continueFrom`: where "continue" starts instead of the last bundle's end.
   */
  async #seal(ref: AssetRef, since: Since, sealedUnder?: Incident, continueFrom?: number): Promise<SealResult> {
    const keys = await this.#keys();
    if (!keys.ok) return { ok: false, error: { code: "signing_unavailable", detail: keys.error } };
    const store = evidenceStoreFor(ref.store, storeDeps(this.env));
    if (!store.ok) return { ok: false, error: { code: "store_misconfigured", detail: store.error.detail } };
    // From here to the pin, everything about the range is read synchronously: no await lets
    // an append shift the head, or an alarm trim the range, in between.
    const now = Date.now();
    const head = this.#head;
    const incident = sealedUnder ?? this.#incidentInForce(ref.asset, now, this.#knownIncident(ref));
    const frontierAfter = this.#frontier.clone();
    const win = ringWindow(this.#sql, head, this.#effectiveRing(ref.ring, ref.asset, now, this.#knownIncident(ref)), now);
    let first: number;
    let windowSinceMs: number;
    let truncated: boolean;
    if (since === "continue") {
      // From where the asset's last bundle ended, so consecutive bundles continue each other exactly.
      const prevEnd = continueFrom ?? this.#sql.exec<{ end_seq: number }>("SELECT end_seq FROM bundles ORDER BY rowid DESC LIMIT 1").toArray()[0]?.end_seq;
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
    // The bundle row is due for a retry should this upload never finish: wake up for it.
    this.#armTrim(now + UPLOAD_INTERRUPTED_RETRY_MS);
    try {
      const sealed = await sealWindow({
        sql: this.#sql,
        store: store.value,
        storeConfig: ref.store,
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
        redaction: this.#redactionsIn(first, end),
        incident: incident ? incidentPredicate(incident) : null,
        lines: () => readLines(this.#sql, first, end),
        indexBundle: (entry) => this.env.TENANT.getByName(tenantObjectName(ref.tenant)).indexBundle(entry),
      });
      // A pending upload keeps its range pinned (see #pin) and is retried by the alarm.
      if (sealed.ok && sealed.value.bundle.upload_next_at !== null) this.#armTrim(Date.parse(sealed.value.bundle.upload_next_at));
      return sealed;
    } finally {
      this.#pinnedFrom = Infinity;
    }
  }

  /** Queue export batches of what was stored since each destination's cursor; when to run again, or null. */
  #exportStep(now: number): number | null {
    const dests = this.#storedRules().exports ?? [];
    const ring = this.#storedRing(now);
    if (!dests.length || !ring) return null;
    const win = ringWindow(this.#sql, this.#head, ring, now);
    const [tenant, asset] = this.#identity();
    const more = this.#transaction(() =>
      produceExports({ sql: this.#sql, tenant, asset, meta: (k) => this.#meta(k), setMeta: (k, v) => this.#setMeta(k, v) }, dests, win.start, win.end, now));
    return more ? now + 1000 : null;
  }

  /** Trimming stays below this seq: a seal in progress, a bundle whose upload is pending, lines not yet spilled. */
  #pin(): number {
    const pending = this.#sql.exec<{ s: number | null }>("SELECT MIN(first_seq) AS s FROM bundles WHERE upload_status = 'pending'").one().s;
    const spill = this.#storedRules().raw_spill ? this.#spillState().spilled_to : Infinity;
    return Math.min(this.#pinnedFrom, pending ?? Infinity, spill);
  }

  /** Raw spill state; a first look starts at the oldest line still stored. */
  #spillState(): SpillState {
    const raw = this.#meta("raw_spill");
    if (raw) return JSON.parse(raw) as SpillState;
    const oldest = this.#sql.exec<{ s: number | null }>("SELECT MIN(first_seq) AS s FROM chunks").one().s;
    return { spilled_to: oldest ?? this.#head.nextSeq, segments: 0, lines: 0, dropped: 0, failures: 0 };
  }

  /** Spill the lines that left the ring (raw_spill on); when to run again, or null. */
  async #spillStep(now: number): Promise<number | null> {
    const rules = this.#storedRules();
    const ring = this.#storedRing(now);
    if (!rules.raw_spill || !ring) return null;
    const win = ringWindow(this.#sql, this.#head, ring, now);
    const [tenant, asset] = this.#identity();
    let before = this.#spillState();
    // Storage near its bound: a store that keeps failing is given up on at once, not after days.
    if (before.failing_since !== undefined && this.#storageFull()) before = { ...before, failing_since: now - UPLOAD_PENDING_MAX_MS };
    const { state, more } = await spill(
      { sql: this.#sql, tenant, asset, store: () => evidenceStoreFor(rules.store ?? undefined, storeDeps(this.env)) },
      before, win.start, now,
    );
    this.#setMeta("raw_spill", JSON.stringify(state));
    if (state.dropped > before.dropped) log.error("RawSpillGaveUp", { tenant, asset, lines: state.dropped - before.dropped, error: before.last_error });
    return more ? now + 1000 : state.next_at ?? null;
  }

  /** Retry due pending uploads (a few per run); when the next is due, or null. */
  async #uploadStep(now: number): Promise<number | null> {
    const due = this.#sql
      .exec<BundleRow>("SELECT * FROM bundles WHERE upload_status = 'pending' AND upload_next_at <= ? ORDER BY upload_next_at LIMIT ?", now, UPLOADS_PER_ALARM)
      .toArray();
    const [tenant] = this.#identity();
    for (const row of due) {
      const built = evidenceStoreFor(JSON.parse(row.store_config ?? '{"provider":"r2"}') as EvidenceStoreConfig, storeDeps(this.env));
      if (!built.ok) {
        await recordUpload(this.#sql, row, `config: ${built.error.detail}`, now, null);
        continue;
      }
      const lines = () => readLines(this.#sql, row.first_seq, row.end_seq);
      let single: Uint8Array | undefined;
      try {
        // Small bundles are compressed in memory (one part); larger ones stream as multipart again.
        single = row.gz_bytes <= EVIDENCE_PART_BYTES ? await gzipWhole(lines(), row.gz_sha256) : undefined;
      } catch (e) {
        // The stored lines no longer give the signed bytes: retrying cannot help.
        await recordUpload(this.#sql, row, `records: ${String((e as Error).message ?? e)}`, now, built.value, Math.random, true);
        continue;
      }
      await uploadRow(this.#sql, built.value, row, lines, single, (entry) => this.env.TENANT.getByName(tenantObjectName(tenant)).indexBundle(entry), now, Math.random, this.#storageFull());
    }
    return this.#sql.exec<{ t: number | null }>("SELECT MIN(upload_next_at) AS t FROM bundles WHERE upload_status = 'pending'").one().t;
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
      .touchAsset({ asset: ref.asset, first_seen: rts, last_seen: rts, events_total: this.#head.nextSeq, metrics: this.#metrics(ref.ring) })
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
    if (this.#metaCache.has(k)) return this.#metaCache.get(k);
    const v = this.#sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray()[0]?.v;
    this.#metaCache.set(k, v);
    return v;
  }

  #setMeta(k: string, v: string): number {
    const rows = this.#sql.exec("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", k, v).rowsWritten;
    this.#metaCache.set(k, v);
    return rows;
  }

  #deleteMeta(k: string): void {
    this.#sql.exec("DELETE FROM meta WHERE k = ?", k);
    this.#metaCache.set(k, undefined);
  }

  /** transactionSync that forgets the cached meta values when it rolls back. */
  #transaction<T>(fn: () => T): T {
    try {
      return this.ctx.storage.transactionSync(fn);
    } catch (e) {
      // What the rolled-back writes had cached is not stored: reload it on next use.
      this.#metaCache.clear();
      this.#rollups.discard();
      throw e;
    }
  }
}
