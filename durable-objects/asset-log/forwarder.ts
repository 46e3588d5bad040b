/**
 * Forwarding the FixOps ops-telemetry summary (docs/forwarding.md): every closed interval
 * with events becomes one payload in a durable outbox; the alarm sends due payloads with
 * exponential backoff and jitter, and after FORWARD_MAX_ATTEMPTS moves them to a bounded
 * dead-letter queue that the API lists and redrives. Ingest never waits on FixOps.
 */
import { opsSummary, Rollup } from "../../shared/aggregates/rollup.ts";
import {
  FORWARD_BACKOFF_BASE_MS, FORWARD_BACKOFF_MAX_MS, FORWARD_DLQ_MAX, FORWARD_MAX_ATTEMPTS, FORWARD_TIMEOUT_MS,
} from "../../shared/limits.ts";
import { SERVICE_VERSION } from "../../shared/version.ts";
import type { AlertWebhook, ForwardingConfig } from "../../shared/asset-rules.ts";
import type { ExportDestination } from "../../shared/tenant-config.ts";
import type { ExportPayload } from "./exporter.ts";
import { toHex } from "../../shared/hex.ts";
import type { AlertView } from "./alert-records.ts";
import type { RollupStore } from "./rollups.ts";

/** Payloads sent per alarm run (the rest stay due and go on the next run, a second later). */
const SENDS_PER_RUN = 20;

export interface ForwardCounters {
  success: number;
  failure: number;
  dlq: number;
  dlq_dropped: number;
}

/** One interval's summary as queued: the body FixOps receives, and what it covers. */
export interface FixopsPayload {
  target: "fixops";
  body: { alerts: { rule: string; count: number; asset: string }[]; latency_ms_p95: number | null };
  window: { since: string; until: string };
  events: number;
}

/** An alert opening as queued for the tenant's alert webhook. */
export interface WebhookPayload {
  target: "webhook";
  body: { type: "alert.opened"; tenant: string; asset: string; alert: AlertView };
}

export type ForwardPayload = FixopsPayload | WebhookPayload | ExportPayload;

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>` on webhook posts. */
export const WEBHOOK_SIGNATURE_HEADER = "X-Telemetry-Bridge-Signature";

export interface DeadLetter {
  id: string;
  payload: ForwardPayload;
  attempts: number;
  created_at: string;
  failed_at: string;
  last_error: string | null;
}

interface Deps {
  sql: SqlStorage;
  rollups: RollupStore;
  tenant: () => string;
  asset: () => string;
  meta: (k: string) => string | undefined;
  setMeta: (k: string, v: string | null) => void;
  /** A Worker secret by name (undefined when not set). */
  secret: (name: string) => string | undefined;
  fetch: typeof fetch;
  /** The tenant's alert webhook, as the last append recorded it. */
  webhook: () => AlertWebhook | null;
  /** Why an outbound URL may not be called (endpoint policy), or null. */
  refuse: (url: string) => string | null;
  /** The tenant's export destinations, as the last append recorded them. */
  exports: () => readonly ExportDestination[];
  /** An export batch's outcome (sent, or dead-lettered), for the per-destination counters. */
  onExport: (payload: ExportPayload, result: "sent" | "dlq") => void;
  random?: () => number;
}

export class Forwarder {
  #d: Deps;

  constructor(deps: Deps) {
    this.#d = deps;
  }

  config(): ForwardingConfig | null {
    const raw = this.#d.meta("forwarding");
    return raw ? (JSON.parse(raw) as ForwardingConfig) : null;
  }

  /** Record the config an append carried; returns rows written (only when it changed). */
  bind(cfg: ForwardingConfig | null): number {
    const json = cfg ? JSON.stringify(cfg) : null;
    if ((this.#d.meta("forwarding") ?? null) === json) return 0;
    this.#d.setMeta("forwarding", json);
    // A new config starts afresh: what arrived while forwarding was off (or under another
    // interval) is not sent as one late, merged payload.
    this.#d.setMeta("fwd_from", null);
    this.#d.setMeta("fwd_next", null);
    return 1;
  }

  /**
   * After an append at `rts`: when no interval is open, open the one `rts` falls in.
   * Returns when the alarm must run, or null.
   */
  noteAppend(rts: number): number | null {
    const cfg = this.config();
    if (!cfg || cfg.mode !== "http") return null;
    const next = this.#num("fwd_next");
    if (next !== null) return next;
    const i = cfg.interval_seconds * 1000;
    const from = Math.floor(rts / i) * i;
    this.#d.setMeta("fwd_from", String(from));
    this.#d.setMeta("fwd_next", String(from + i));
    return from + i;
  }

  /** Queue an alert opening for the webhook (inside the append's transaction); true if queued. */
  enqueueAlert(tenant: string, asset: string, alert: AlertView, now: number): boolean {
    if (!this.#d.webhook()) return false;
    const payload: WebhookPayload = { target: "webhook", body: { type: "alert.opened", tenant, asset, alert } };
    this.#d.sql.exec(
      "INSERT INTO outbox (id, payload, attempts, next_at, created_at, target) VALUES (?, ?, 0, ?, ?, 'webhook') ON CONFLICT (id) DO NOTHING",
      `alert-${alert.id}`, JSON.stringify(payload), now, now,
    );
    return true;
  }

  /**
   * Close due intervals and send due payloads of the targets configured now (payloads of a
   * target that is off wait). Returns when to run again, or null.
   */
  async run(now: number, lastRts: number): Promise<number | null> {
    const cfg = this.config();
    const hook = this.#d.webhook();
    const exports = new Map(this.#d.exports().map((d) => [`export:${d.name}`, d]));
    const targets: string[] = [...exports.keys()];
    if (cfg?.mode === "http") targets.push("fixops");
    if (hook) targets.push("webhook");
    if (!targets.length) return null;
    let next = cfg?.mode === "http" ? this.#num("fwd_next") : null;
    if (cfg && next !== null && now >= next) {
      const i = cfg.interval_seconds * 1000;
      const from = this.#num("fwd_from") ?? next - i;
      const boundary = Math.floor(now / i) * i;
      this.#enqueueIntervals(cfg, from, boundary, i, now);
      this.#d.setMeta("fwd_from", String(boundary));
      // Intervals with no events send nothing, so an idle asset has no alarm.
      next = lastRts >= boundary ? boundary + i : null;
      this.#d.setMeta("fwd_next", next === null ? null : String(next));
    }
    const among = `target IN (${targets.map(() => "?").join(", ")})`;
    const due = this.#d.sql
      .exec<{ id: string; payload: string; attempts: number; created_at: number; target: string }>(
        `SELECT id, payload, attempts, created_at, target FROM outbox WHERE next_at <= ? AND ${among} ORDER BY next_at LIMIT ?`, now, ...targets, SENDS_PER_RUN,
      )
      .toArray();
    for (const row of due) {
      const dest = exports.get(row.target);
      const post = dest ? () => this.#postExport(dest, JSON.parse(row.payload) as ExportPayload)
        : row.target === "webhook" ? () => this.#postWebhook(hook!, row.payload)
        : () => this.#post(cfg!, row.id, JSON.parse(row.payload) as FixopsPayload);
      await this.#send(row, now, post);
    }
    const pending = this.#d.sql.exec<{ t: number | null }>(`SELECT MIN(next_at) AS t FROM outbox WHERE ${among}`, ...targets).one().t;
    const times = [next, pending].filter((t): t is number => t !== null);
    return times.length ? Math.max(now + 1000 * Number(due.length === SENDS_PER_RUN), Math.min(...times)) : null;
  }

  counters(): ForwardCounters {
    const raw = this.#d.meta("fwd_counters");
    return raw ? (JSON.parse(raw) as ForwardCounters) : { success: 0, failure: 0, dlq: 0, dlq_dropped: 0 };
  }

  dlqDepth(): number {
    return this.#d.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM dlq").one().n;
  }

  outboxDepth(): number {
    return this.#d.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
  }

  deadLetters(limit: number): DeadLetter[] {
    return this.#d.sql
      .exec<{ id: string; payload: string; attempts: number; created_at: number; failed_at: number; last_error: string | null }>(
        "SELECT * FROM dlq ORDER BY failed_at DESC, id LIMIT ?", limit,
      )
      .toArray()
      .map((r) => ({
        id: r.id, payload: JSON.parse(r.payload) as ForwardPayload, attempts: r.attempts, created_at: new Date(r.created_at).toISOString(),
        failed_at: new Date(r.failed_at).toISOString(), last_error: r.last_error,
      }));
  }

  /** Move dead letters (all, or the given ids) back to the outbox, due now. Returns how many. */
  redrive(ids: string[] | undefined, now: number): number {
    let moved = 0;
    const rows = ids
      ? ids.flatMap((id) => this.#d.sql.exec<{ id: string; payload: string; created_at: number; target: string }>("SELECT id, payload, created_at, target FROM dlq WHERE id = ?", id).toArray())
      : this.#d.sql.exec<{ id: string; payload: string; created_at: number; target: string }>("SELECT id, payload, created_at, target FROM dlq").toArray();
    for (const r of rows) {
      this.#d.sql.exec(
        "INSERT INTO outbox (id, payload, attempts, next_at, created_at, last_error, target) VALUES (?, ?, 0, ?, ?, NULL, ?) ON CONFLICT (id) DO NOTHING",
        r.id, r.payload, now, r.created_at, r.target,
      );
      this.#d.sql.exec("DELETE FROM dlq WHERE id = ?", r.id);
      moved++;
    }
    return moved;
  }

  /** One payload per interval of [from, until) that had events (an alarm that ran late catches up interval by interval). */
  #enqueueIntervals(cfg: ForwardingConfig, from: number, until: number, interval: number, now: number): void {
    let current: { start: number; total: Rollup } | null = null;
    for (const { minute, rollup } of this.#d.rollups.range(from, until)) {
      const start = from + Math.floor((minute - from) / interval) * interval;
      if (current && current.start !== start) this.#enqueue(cfg, current.start, current.start + interval, current.total, now);
      if (!current || current.start !== start) current = { start, total: new Rollup() };
      current.total.merge(rollup);
    }
    if (current) this.#enqueue(cfg, current.start, current.start + interval, current.total, now);
  }

  #enqueue(cfg: ForwardingConfig, from: number, until: number, total: Rollup, now: number): void {
    if (total.events === 0) return;
    const summary = opsSummary(total, cfg.counting_rules);
    const asset = this.#d.asset();
    // FixOps' schema allows extra keys inside alerts: each names the asset it counts.
    const payload: FixopsPayload = {
      target: "fixops",
      body: { alerts: summary.alerts.map((a) => ({ ...a, asset })), latency_ms_p95: summary.latency_ms_p95 },
      window: { since: new Date(from).toISOString(), until: new Date(until).toISOString() },
      events: total.events,
    };
    this.#d.sql.exec(
      "INSERT INTO outbox (id, payload, attempts, next_at, created_at) VALUES (?, ?, 0, ?, ?) ON CONFLICT (id) DO NOTHING",
      `${from}-${until}`, JSON.stringify(payload), now, now,
    );
  }

  async #send(row: { id: string; payload: string; attempts: number; created_at: number; target: string }, now: number, post: () => Promise<string | null>): Promise<void> {
    // Anything thrown (a bad stored payload, a crypto error) is this row's failure, not the alarm's.
    const error = await post().catch((e: unknown) => `internal: ${String((e as Error).message ?? e).slice(0, 200)}`);
    const counters = this.counters();
    const exported = row.target.startsWith("export:") ? (JSON.parse(row.payload) as ExportPayload) : null;
    if (error === null) {
      if (exported) this.#d.onExport(exported, "sent");
      counters.success++;
      this.#d.sql.exec("DELETE FROM outbox WHERE id = ?", row.id);
    } else {
      counters.failure++;
      const attempts = row.attempts + 1;
      if (attempts >= FORWARD_MAX_ATTEMPTS) {
        counters.dlq++;
        if (exported) this.#d.onExport(exported, "dlq");
        this.#d.sql.exec(
          "INSERT INTO dlq (id, payload, attempts, created_at, failed_at, last_error, target) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET attempts = excluded.attempts, failed_at = excluded.failed_at, last_error = excluded.last_error",
          row.id, row.payload, attempts, row.created_at, now, error, row.target,
        );
        this.#d.sql.exec("DELETE FROM outbox WHERE id = ?", row.id);
        counters.dlq_dropped += this.#d.sql.exec(
          "DELETE FROM dlq WHERE id IN (SELECT id FROM dlq ORDER BY failed_at DESC, id LIMIT -1 OFFSET ?)", FORWARD_DLQ_MAX,
        ).rowsWritten;
      } else {
        const backoff = Math.min(FORWARD_BACKOFF_MAX_MS, FORWARD_BACKOFF_BASE_MS * 2 ** (attempts - 1));
        // Full jitter over the upper half: retries of many assets do not arrive in step.
        const delay = Math.round(backoff * (0.5 + 0.5 * (this.#d.random ?? Math.random)()));
        this.#d.sql.exec("UPDATE outbox SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?", attempts, now + delay, error, row.id);
      }
    }
    this.#d.setMeta("fwd_counters", JSON.stringify(counters));
  }

  /** POST one payload; null on 2xx, else a reason that never holds the key or the response body. */
  async #post(cfg: ForwardingConfig, id: string, payload: FixopsPayload): Promise<string | null> {
    if (!cfg.fixops_url) return "forwarding has no fixops_url";
    const refused = this.#d.refuse(cfg.fixops_url);
    if (refused) return `fixops_url refused: ${refused}`;
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      "User-Agent": `telemetry-bridge/${SERVICE_VERSION}`,
      "X-Asset-Id": this.#d.asset(),
      "X-Telemetry-Window": `${payload.window.since}/${payload.window.until}`,
      // Retries of one interval carry the same key, so a receiver can drop duplicates.
      "Idempotency-Key": `${this.#d.tenant()}:${this.#d.asset()}:${id}`,
    };
    if (cfg.api_key_secret_ref) {
      const key = this.#d.secret(cfg.api_key_secret_ref);
      if (!key) return `the secret ${cfg.api_key_secret_ref} is not set`;
      headers["X-API-Key"] = key;
    }
    try {
      const res = await this.#d.fetch(cfg.fixops_url, {
        method: "POST", headers, body: JSON.stringify(payload.body), signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
        // A redirect could carry the key somewhere else: it counts as a failure.
        redirect: "manual",
      });
      await res.body?.cancel();
      return res.ok ? null : `FixOps answered ${res.status}`;
    } catch (e) {
      return (e as Error).name === "TimeoutError" ? `no answer within ${FORWARD_TIMEOUT_MS} ms` : "network error";
    }
  }

  /** POST an export batch; null on 2xx (and, for Elasticsearch, no item errors), else why not. */
  async #postExport(dest: ExportDestination, payload: ExportPayload): Promise<string | null> {
    const token = this.#d.secret(dest.token_ref);
    if (!token) return `the secret ${dest.token_ref} is not set`;
    const refused = this.#d.refuse(dest.url);
    if (refused) return `export url refused: ${refused}`;
    const splunk = dest.type === "splunk_hec";
    try {
      const res = await this.#d.fetch(dest.url, {
        method: "POST",
        headers: {
          "Content-Type": splunk ? "application/json" : "application/x-ndjson",
          Authorization: splunk ? `Splunk ${token}` : `ApiKey ${token}`,
          "User-Agent": `telemetry-bridge/${SERVICE_VERSION}`,
        },
        body: payload.body, signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS), redirect: "manual",
      });
      if (!res.ok) {
        await res.body?.cancel();
        return `${dest.type} answered ${res.status}`;
      }
      if (splunk) {
        await res.body?.cancel();
        return null;
      }
      // _bulk answers 200 even when items failed; those are retried with the batch (same _ids: no duplicates).
      const answer = (await res.json().catch(() => null)) as { errors?: boolean; items?: { index?: { status?: number } }[] } | null;
      if (answer?.errors) {
        const failed = (answer.items ?? []).filter((i) => (i.index?.status ?? 500) >= 300).length;
        return `elasticsearch refused ${failed} of ${payload.events} documents`;
      }
      return null;
    } catch (e) {
      return (e as Error).name === "TimeoutError" ? `no answer within ${FORWARD_TIMEOUT_MS} ms` : "network error";
    }
  }

  /** POST an alert opening to the webhook, signed; null on 2xx, else a reason without secrets. */
  async #postWebhook(hook: AlertWebhook, body: string): Promise<string | null> {
    const secret = this.#d.secret(hook.secret_ref);
    if (!secret) return `the secret ${hook.secret_ref} is not set`;
    const refused = this.#d.refuse(hook.url);
    if (refused) return `alert_webhook.url refused: ${refused}`;
    // The stored payload holds the target too; the receiver gets only the body, exactly as signed.
    const text = JSON.stringify((JSON.parse(body) as WebhookPayload).body);
    const t = Math.floor(Date.now() / 1000);
    try {
      const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${t}.${text}`)));
      const res = await this.#d.fetch(hook.url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json", "User-Agent": `telemetry-bridge/${SERVICE_VERSION}`,
          [WEBHOOK_SIGNATURE_HEADER]: `t=${t},v1=${toHex(mac)}`,
        },
        body: text, signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS), redirect: "manual",
      });
      await res.body?.cancel();
      return res.ok ? null : `the webhook answered ${res.status}`;
    } catch (e) {
      return (e as Error).name === "TimeoutError" ? `no answer within ${FORWARD_TIMEOUT_MS} ms` : "network error";
    }
  }

  #num(k: string): number | null {
    const v = this.#d.meta(k);
    return v === undefined ? null : Number(v);
  }
}
