/**
 * Tenant Durable Object (one per tenant): the tenant record, its configuration, its
 * hashed API keys, its bundle index and the audit of admin actions. The edge asks it
 * to authenticate keys; every admin change is recorded with its actor.
 */
import { DurableObject } from "cloudflare:workers";
import type { TenantConfig } from "../../shared/config.ts";
import type { JwtIssuer } from "../../shared/tenant-config.ts";
import type { Incident, IncidentRequest } from "../../shared/incident.ts";
import { toHex } from "../../shared/hex.ts";
import type { Principal, Scope } from "../../shared/scopes.ts";
import { decodeAssetMetrics, type AssetMetrics } from "../../shared/asset-metrics.ts";
import { RETENTION_CLASSES, zeroCounts, type RetentionCounts } from "../../shared/retention.ts";
import { IDEMPOTENCY_TTL_MS, METRICS_TENANT_ASSETS, QUOTA_WINDOW_MS } from "../../shared/limits.ts";
import { hasSchema, migrate } from "../../shared/sql-migrations.ts";
import { DIRECTORY_OBJECT_NAME, type Env } from "../env.ts";
import { maskedKey, newApiKey } from "./api-key.ts";
import { TENANT_MIGRATIONS } from "./schema.ts";
import { appendRequests, readRequests, type RequestLogQuery, type RequestRecord } from "./request-log-store.ts";
import {
  addRedactionCounts, deleteRange, listRanges, loadRanges, putRange, redactionCounts, type RangeKind, type RangeResult, type RangeTableInfo, type RangeTablesAnswer,
} from "./range-store.ts";

export interface TenantRecord {
  tenant_id: string;
  name: string;
  status: "active" | "disabled";
  created_at: string;
  updated_at: string;
}

export interface KeyInfo {
  key_id: string;
  key_prefix: string;
  name: string | null;
  scopes: Scope[];
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  rotated_from: string | null;
}

export interface CreatedKey {
  key_id: string;
  key: string;
  scopes: Scope[];
  name: string | null;
  expires_at: string | null;
}

export type { RequestRecord } from "./request-log-store.ts";

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  target: string | null;
  /** JSON text of the action's details (no secrets). */
  detail: string | null;
}

/** A recorded answer to an Idempotency-Key: what the first request got, and what its body was. */
export type IdempotencyRecord = {
  /** SHA-256 of the request's decoded events: a reuse of the key with other content is refused. */
  fingerprint: string;
  status: number;
  content_type: string;
  body: string;
};

export type TenantError =
  | { code: "tenant_exists" | "tenant_not_found" | "key_not_found" | "key_revoked" | "key_expired" | "key_rotated" | "no_active_incident" }
  | { code: "issuer_taken"; issuer: string; audience: string };
type Res<T> = { ok: true; value: T } | { ok: false; error: TenantError };

type TenantRow = { id: string; name: string; status: string; config: string; created_at: number; updated_at: number; incident: string | null };
type KeyRow = {
  key_id: string; secret_sha256: ArrayBuffer; prefix: string; name: string | null; scopes: string;
  created_at: number; expires_at: number | null; revoked_at: number | null; rotated_from: string | null;
};

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const fail = (code: Exclude<TenantError["code"], "issuer_taken">) => ({ ok: false as const, error: { code } });

export class Tenant extends DurableObject<Env> {
  #sql: SqlStorage;
  /**
   * Schema exists. Migrations run on the first write only, so a request with a made-up
   * tenant in its key (which reaches this object) leaves no storage behind.
   */
  #ready: boolean;
  #window = -1;
  #used = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#ready = hasSchema(this.#sql);
    if (this.#ready) migrate(this.#sql, TENANT_MIGRATIONS);
  }

  /** Create the tenant. A repeat answers tenant_exists but still refreshes the directory entry. */
  async create(input: { tenant_id: string; name: string; config?: TenantConfig }, actor: string): Promise<Res<TenantRecord>> {
    // The directory call below awaits: hold other events so two creates cannot interleave.
    return this.ctx.blockConcurrencyWhile(() => this.#create(input, actor));
  }

  async #create(input: { tenant_id: string; name: string; config?: TenantConfig }, actor: string): Promise<Res<TenantRecord>> {
    this.#ensureSchema();
    const existing = this.#row();
    if (existing) {
      await this.#publish(existing);
      return fail("tenant_exists");
    }
    const claimed = await this.#claimIssuers(input.tenant_id, input.config ?? {});
    if (claimed) return { ok: false, error: claimed };
    const now = Date.now();
    this.#sql.exec(
      "INSERT INTO tenant (id, name, config, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
      input.tenant_id, input.name, JSON.stringify(input.config ?? {}), now, now,
    );
    this.#audit(actor, "tenant.create", input.tenant_id, { name: input.name });
    const row = this.#row()!;
    await this.#publish(row);
    return { ok: true, value: this.#record(row) };
  }

  async get(): Promise<Res<TenantRecord & { config: TenantConfig }>> {
    const row = this.#row();
    if (!row) return fail("tenant_not_found");
    return { ok: true, value: { ...this.#record(row), config: JSON.parse(row.config) as TenantConfig } };
  }

  /** Rename, disable or re-enable. A disabled tenant's keys stop authenticating at once here. */
  async update(patch: { name?: string; status?: "active" | "disabled" }, actor: string): Promise<Res<TenantRecord>> {
    const row = this.#row();
    if (!row) return fail("tenant_not_found");
    this.#sql.exec(
      "UPDATE tenant SET name = ?, status = ?, updated_at = ?",
      patch.name ?? row.name, patch.status ?? row.status, Date.now(),
    );
    this.#audit(actor, "tenant.update", row.id, patch);
    const updated = this.#row()!;
    await this.#publish(updated);
    return { ok: true, value: this.#record(updated) };
  }

  async putConfig(config: TenantConfig, actor: string): Promise<Res<TenantConfig>> {
    return this.ctx.blockConcurrencyWhile(() => this.#putConfig(config, actor));
  }

  async #putConfig(config: TenantConfig, actor: string): Promise<Res<TenantConfig>> {
    const row = this.#row();
    if (!row) return fail("tenant_not_found");
    const claimed = await this.#claimIssuers(row.id, config);
    if (claimed) return { ok: false, error: claimed };
    this.#sql.exec("UPDATE tenant SET config = ?, updated_at = ?", JSON.stringify(config), Date.now());
    this.#audit(actor, "config.put", null, { keys: Object.keys(config) });
    return { ok: true, value: config };
  }

  /** Create a key; the only time its secret leaves the object. */
  async createKey(input: { scopes: Scope[]; name?: string; expires_at?: number }, actor: string): Promise<Res<CreatedKey>> {
    const row = this.#row();
    if (!row) return fail("tenant_not_found");
    const created = await this.#insertKey(row.id, input.scopes, input.name ?? null, input.expires_at ?? null, null);
    this.#audit(actor, "key.create", created.key_id, { scopes: input.scopes, name: input.name ?? null });
    return { ok: true, value: created };
  }

  async listKeys(): Promise<Res<KeyInfo[]>> {
    if (!this.#row()) return fail("tenant_not_found");
    const rows = this.#sql.exec<KeyRow>("SELECT * FROM api_keys ORDER BY created_at, key_id").toArray();
    return { ok: true, value: rows.map(keyInfo) };
  }

  async revokeKey(keyId: string, actor: string): Promise<Res<KeyInfo>> {
    if (!this.#row()) return fail("tenant_not_found");
    const key = this.#key(keyId);
    if (!key) return fail("key_not_found");
    if (key.revoked_at === null) {
      this.#sql.exec("UPDATE api_keys SET revoked_at = ? WHERE key_id = ?", Date.now(), keyId);
      this.#audit(actor, "key.revoke", keyId, null);
    }
    return { ok: true, value: keyInfo(this.#key(keyId)!) };
  }

  /**
   * Replace a key: a new key with the same scopes and name, and the old one kept valid for
   * `graceSeconds` more (never longer than it already was), so clients can switch without downtime.
   */
  async rotateKey(keyId: string, graceSeconds: number, actor: string): Promise<Res<{ key: CreatedKey; previous: KeyInfo }>> {
    const row = this.#row();
    if (!row) return fail("tenant_not_found");
    const old = this.#key(keyId);
    if (!old) return fail("key_not_found");
    if (old.revoked_at !== null) return fail("key_revoked");
    const now = Date.now();
    if (old.expires_at !== null && old.expires_at <= now) return fail("key_expired");
    // A key is rotated once: its successor carries its original expiry, and its own is now the grace end.
    if (this.#sql.exec("SELECT 1 FROM api_keys WHERE rotated_from = ?", keyId).toArray().length) return fail("key_rotated");
    const graceEnd = now + graceSeconds * 1000;
    const created = await this.#insertKey(row.id, JSON.parse(old.scopes) as Scope[], old.name, old.expires_at, keyId);
    this.#sql.exec("UPDATE api_keys SET expires_at = ? WHERE key_id = ?", Math.min(graceEnd, old.expires_at ?? Infinity), keyId);
    this.#audit(actor, "key.rotate", keyId, { new_key_id: created.key_id, grace_seconds: graceSeconds });
    return { ok: true, value: { key: created, previous: keyInfo(this.#key(keyId)!) } };
  }

  /**
   * Start the tenant's incident, or change the active one (its id and start are kept; `until`
   * becomes now + ttl). Recorded in the audit log with who, why and until.
   */
  async startIncident(req: IncidentRequest, actor: string): Promise<Res<{ incident: Incident; previous: Incident | null; config: TenantConfig; started: boolean }>> {
    const row = this.#row();
    if (!row) return fail("tenant_not_found");
    const now = Date.now();
    const current = row.incident ? (JSON.parse(row.incident) as Incident) : null;
    const active = current !== null && now < current.until;
    const incident: Incident = {
      id: active ? current.id : `inc_${toHex(crypto.getRandomValues(new Uint8Array(8)))}`,
      reason: req.reason,
      by: active ? current.by : actor,
      started_at: active ? current.started_at : now,
      until: now + req.ttl_seconds * 1000,
      assets: req.assets,
      ring_factor: req.ring_factor,
      // Strictly increasing, so an AssetLog can tell the newer of two versions apart.
      updated_at: Math.max(now, (current?.updated_at ?? 0) + 1),
    };
    this.ctx.storage.transactionSync(() => {
      this.#sql.exec("UPDATE tenant SET incident = ?", JSON.stringify(incident));
      this.#audit(actor, active ? "incident.update" : "incident.start", incident.id, {
        reason: incident.reason, until: new Date(incident.until).toISOString(), assets: incident.assets, ring_factor: incident.ring_factor,
      });
    });
    return { ok: true, value: { incident, previous: current, config: effectiveConfig(this.#row()!), started: !active } };
  }

  /** End the active incident now (it would otherwise end at its `until`). */
  async endIncident(actor: string): Promise<Res<{ incident: Incident; previous: Incident; config: TenantConfig }>> {
    const row = this.#row();
    if (!row) return fail("tenant_not_found");
    const now = Date.now();
    const current = row.incident ? (JSON.parse(row.incident) as Incident) : null;
    if (!current || now >= current.until) return fail("no_active_incident");
    const incident: Incident = { ...current, until: now, ended_at: now, ended_by: actor, updated_at: Math.max(now, current.updated_at + 1) };
    this.ctx.storage.transactionSync(() => {
      this.#sql.exec("UPDATE tenant SET incident = ?", JSON.stringify(incident));
      this.#audit(actor, "incident.end", incident.id, { reason: incident.reason, started_at: new Date(incident.started_at).toISOString() });
    });
    return { ok: true, value: { incident, previous: current, config: effectiveConfig(this.#row()!) } };
  }

  /** The current or most recent incident (null: never had one). */
  async incident(): Promise<Res<Incident | null>> {
    const row = this.#row();
    if (!row) return fail("tenant_not_found");
    return { ok: true, value: row.incident ? (JSON.parse(row.incident) as Incident) : null };
  }

  async auditLog(limit: number, before?: number): Promise<Res<{ entries: AuditEntry[]; next_cursor: string | null }>> {
    if (!this.#row()) return fail("tenant_not_found");
    const rows = this.#sql
      .exec<{ n: number; at: number; actor: string; action: string; target: string | null; detail: string | null }>(
        "SELECT rowid AS n, * FROM audit WHERE rowid < ? ORDER BY rowid DESC LIMIT ?", before ?? Number.MAX_SAFE_INTEGER, limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit);
    return {
      ok: true,
      value: {
        entries: page.map((r) => ({ at: iso(r.at)!, actor: r.actor, action: r.action, target: r.target, detail: r.detail })),
        next_cursor: rows.length > limit ? String(page.at(-1)!.n) : null,
      },
    };
  }

  /**
   * Check a presented key. Returns the principal and the tenant config, or null for any
   * failure (unknown, wrong secret, revoked, expired, tenant disabled): callers learn nothing more.
   */
  async authenticate(keyId: string, presentedKey: string): Promise<{ principal: Principal; config: TenantConfig } | null> {
    const tenant = this.#row();
    if (!tenant || tenant.status !== "active") return null;
    const row = this.#key(keyId);
    const presented = await sha256Bytes(presentedKey);
    // Compare even when the key id is unknown, so timing does not reveal which ids exist.
    const stored = row ? new Uint8Array(row.secret_sha256) : new Uint8Array(32);
    const equal = crypto.subtle.timingSafeEqual(stored, presented);
    if (!row || !equal) return null;
    if (row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= Date.now())) return null;
    return {
      principal: { tenant: tenant.id, keyId, scopes: JSON.parse(row.scopes) as Scope[] },
      config: effectiveConfig(tenant),
    };
  }

  /**
   * What a JWT from (issuer, audience) needs to become a principal of this tenant: the issuer's
   * settings and the tenant config; null when the tenant is unknown, disabled or has no such issuer.
   */
  async jwtIssuer(issuer: string, audience: string): Promise<{ tenant: string; issuer: JwtIssuer; config: TenantConfig } | null> {
    const row = this.#row();
    if (!row || row.status !== "active") return null;
    const config = effectiveConfig(row);
    const found = config.jwt?.issuers.find((i) => i.issuer === issuer && i.audience === audience);
    return found ? { tenant: row.id, issuer: found, config } : null;
  }

  /**
   * Lease quota from this tenant's fixed-window counters (in memory: a restart starts a fresh
   * window, which only ever errs towards admitting). Each isolate leases slices and spends them
   * locally, so most requests never reach this object.
   */
  async lease(asks: { counter: string; limit: number; want: number }[]): Promise<{ window_end: number; granted: number[] }> {
    const now = Date.now();
    const window = Math.floor(now / QUOTA_WINDOW_MS);
    if (window !== this.#window) {
      this.#window = window;
      this.#used.clear();
    }
    const granted = asks.map((a) => {
      const used = this.#used.get(a.counter) ?? 0;
      const g = Math.max(0, Math.min(a.want, a.limit - used));
      this.#used.set(a.counter, used + g);
      return g;
    });
    return { window_end: (window + 1) * QUOTA_WINDOW_MS, granted };
  }

  /** Append a batch of request records (one row), keeping the newest REQUEST_LOG_ROWS. */
  async recordRequests(batch: RequestRecord[]): Promise<void> {
    if (!this.#row() || batch.length === 0) return;
    this.ctx.storage.transactionSync(() => appendRequests(this.#sql, batch));
  }

  /** Recent requests, newest first, filtered. */
  async requestLog(q: RequestLogQuery): Promise<RequestRecord[]> {
    if (!this.#row()) return [];
    return readRequests(this.#sql, q);
  }

  /**
   * An asset's activity, reported by its AssetLog (first report creates the entry). `metrics`,
   * when present and valid (see decodeAssetMetrics), replaces the stored ones unless the report
   * is older than the last one (a smaller `last_seen`); a report without them keeps them.
   */
  async touchAsset(entry: { asset: string; first_seen: number; last_seen: number; events_total: number; metrics?: AssetMetrics }): Promise<void> {
    if (!this.#row()) return;
    const metrics = entry.metrics === undefined ? null : decodeAssetMetrics(entry.metrics);
    this.#sql.exec(
      `INSERT INTO assets (asset, first_seen, last_seen, events_total, metrics) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (asset) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen), events_total = max(events_total, excluded.events_total),
         metrics = CASE WHEN excluded.metrics IS NULL OR excluded.last_seen < assets.last_seen THEN assets.metrics ELSE excluded.metrics END`,
      entry.asset, entry.first_seen, entry.last_seen, entry.events_total, metrics === null ? null : JSON.stringify(metrics),
    );
  }

  /**
   * Reported metrics of the tenant's assets in id order, at most `limit` (1..METRICS_TENANT_ASSETS)
   * after `cursor` (the last asset of the previous page). Assets that never reported are skipped.
   */
  async assetMetrics(limit: number, cursor?: string): Promise<{ assets: { asset: string; metrics: AssetMetrics }[]; next_cursor: string | null }> {
    if (!this.#row()) return { assets: [], next_cursor: null };
    const n = Math.max(1, Math.min(METRICS_TENANT_ASSETS, Math.floor(limit) || 1));
    const rows = this.#sql
      .exec<{ asset: string; metrics: string }>("SELECT asset, metrics FROM assets WHERE asset > ? AND metrics IS NOT NULL ORDER BY asset LIMIT ?", cursor ?? "", n + 1)
      .toArray();
    const page = rows.slice(0, n).map((r) => ({ asset: r.asset, metrics: JSON.parse(r.metrics) as AssetMetrics }));
    return { assets: page, next_cursor: rows.length > n ? page.at(-1)!.asset : null };
  }

  /** The tenant's assets in id order, a page at a time after `cursor` (the last asset of the previous page). */
  async assets(limit: number, cursor?: string): Promise<{ assets: { asset: string; first_seen: string; last_seen: string; events_total: number }[]; next_cursor: string | null }> {
    if (!this.#row()) return { assets: [], next_cursor: null };
    const rows = this.#sql
      .exec<{ asset: string; first_seen: number; last_seen: number; events_total: number }>(
        "SELECT * FROM assets WHERE asset > ? ORDER BY asset LIMIT ?", cursor ?? "", limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit).map((r) => ({ asset: r.asset, first_seen: iso(r.first_seen)!, last_seen: iso(r.last_seen)!, events_total: r.events_total }));
    return { assets: page, next_cursor: rows.length > limit ? page.at(-1)!.asset : null };
  }

  /** Remember where a bundle of this tenant lives (called by AssetLog when it seals one). */
  /** The answer recorded for an Idempotency-Key scope, unless older than IDEMPOTENCY_TTL_MS. */
  async idempotencyGet(scope: string, now: number): Promise<IdempotencyRecord | null> {
    if (!this.#ready) return null;
    const row = this.#sql
      .exec<IdempotencyRecord & { created_at: number }>("SELECT fingerprint, status, content_type, body, created_at FROM idempotency WHERE scope = ?", scope)
      .toArray()[0];
    if (!row || row.created_at < now - IDEMPOTENCY_TTL_MS) return null;
    return { fingerprint: row.fingerprint, status: row.status, content_type: row.content_type, body: row.body };
  }

  /** Record the first final answer for a scope (a later one for the same scope keeps the first); expired records go. */
  async idempotencyPut(scope: string, record: IdempotencyRecord, now: number): Promise<void> {
    this.#ensureSchema();
    this.ctx.storage.transactionSync(() => {
      this.#sql.exec(
        "DELETE FROM idempotency WHERE scope IN (SELECT scope FROM idempotency WHERE created_at < ? ORDER BY created_at LIMIT 100)",
        now - IDEMPOTENCY_TTL_MS,
      );
      // An expired record of the same scope is replaced; a live one is kept (the first answer wins).
      this.#sql.exec(
        `INSERT INTO idempotency (scope, fingerprint, status, content_type, body, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (scope) DO UPDATE SET fingerprint = excluded.fingerprint, status = excluded.status, content_type = excluded.content_type,
           body = excluded.body, created_at = excluded.created_at WHERE idempotency.created_at < ?`,
        scope, record.fingerprint, record.status, record.content_type, record.body, now, now - IDEMPOTENCY_TTL_MS,
      );
    });
  }

  async indexBundle(entry: { id: string; asset: string; prefix: string; created_at: number; store?: string }): Promise<void> {
    this.#ensureSchema();
    this.#sql.exec(
      "INSERT INTO bundles (id, asset, prefix, created_at, store) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
      entry.id, entry.asset, entry.prefix, entry.created_at, entry.store ?? null,
    );
  }

  /** A bundle of this tenant by id: where its objects are, and the store config they went to (JSON, secret names only). */
  async findBundle(id: string): Promise<{ asset: string; prefix: string; store: string | null } | null> {
    if (!this.#ready) return null;
    const row = this.#sql.exec<{ asset: string; prefix: string; store: string | null }>("SELECT asset, prefix, store FROM bundles WHERE id = ?", id).toArray()[0];
    return row ?? null;
  }

  /**
   * Record one retention run's deletions for this tenant: adds them to the totals GET /metrics
   * shows and writes a `retention.run` audit entry, in one transaction. `detail` says what the
   * run did (counts per class, failures, the retention applied); never secrets.
   */
  async recordRetention(deleted: RetentionCounts, detail: Record<string, unknown>, actor: string): Promise<void> {
    if (!this.#row()) return;
    this.ctx.storage.transactionSync(() => {
      for (const cls of RETENTION_CLASSES) {
        const n = deleted[cls];
        if (!Number.isSafeInteger(n) || n <= 0) continue;
        this.#sql.exec(
          "INSERT INTO retention_totals (class, deleted) VALUES (?, ?) ON CONFLICT (class) DO UPDATE SET deleted = deleted + excluded.deleted",
          cls, n,
        );
      }
      this.#audit(actor, "retention.run", null, { deleted, ...detail });
    });
  }

  /** Everything the retention pass ever deleted for this tenant, by class. */
  async retentionTotals(): Promise<RetentionCounts> {
    const totals = zeroCounts();
    if (!this.#ready) return totals;
    for (const r of this.#sql.exec<{ class: string; deleted: number }>("SELECT class, deleted FROM retention_totals").toArray()) {
      if ((RETENTION_CLASSES as readonly string[]).includes(r.class)) totals[r.class as keyof RetentionCounts] = r.deleted;
    }
    return totals;
  }

  /** Replace an enrichment range table (bytes the edge built), with its version bump and audit entry in one transaction. */
  async putRangeTable(kind: RangeKind, name: string, data: Uint8Array, entries: number, actor: string): Promise<RangeResult<RangeTableInfo & { version: number }>> {
    if (!this.#row()) return { ok: false, error: { code: "tenant_not_found" } };
    return this.ctx.storage.transactionSync(() => {
      const res = putRange(this.#sql, kind, name, data, entries, Date.now());
      if (res.ok) this.#audit(actor, kind === "asn" ? "asn_ranges.put" : "indicators.put", kind === "asn" ? null : name, { entries, bytes: data.byteLength });
      return res;
    });
  }

  async deleteRangeTable(kind: RangeKind, name: string, actor: string): Promise<RangeResult<{ version: number }>> {
    if (!this.#row()) return { ok: false, error: { code: "tenant_not_found" } };
    return this.ctx.storage.transactionSync(() => {
      const res = deleteRange(this.#sql, kind, name);
      if (res.ok) this.#audit(actor, kind === "asn" ? "asn_ranges.delete" : "indicators.delete", kind === "asn" ? null : name, null);
      return res;
    });
  }

  async listRangeTables(): Promise<RangeResult<{ version: number; tables: RangeTableInfo[] }>> {
    if (!this.#row()) return { ok: false, error: { code: "tenant_not_found" } };
    return { ok: true, value: listRanges(this.#sql) };
  }

  /** The tables for the edge's enrichment cache: all of them, or just the version when `known` is current. */
  async rangeTables(known: number | null): Promise<RangeTablesAnswer> {
    if (!this.#row()) return { version: 0, tables: [] };
    return loadRanges(this.#sql, known);
  }

  /** Add a batch of redaction counts by reason (from an isolate's buffer). */
  async addRedactions(counts: Record<string, number>): Promise<void> {
    if (!this.#row()) return;
    this.ctx.storage.transactionSync(() => addRedactionCounts(this.#sql, counts));
  }

  /** Everything redacted at ingest for this tenant, by reason (GET /metrics). */
  async redactionTotals(): Promise<Record<string, number>> {
    if (!this.#row()) return {};
    return redactionCounts(this.#sql);
  }

  async #insertKey(tenant: string, scopes: Scope[], name: string | null, expiresAt: number | null, rotatedFrom: string | null): Promise<CreatedKey> {
    const { keyId, key } = newApiKey(tenant);
    this.#sql.exec(
      "INSERT INTO api_keys (key_id, secret_sha256, prefix, name, scopes, created_at, expires_at, rotated_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      keyId, await sha256Bytes(key), maskedKey(tenant, keyId), name, JSON.stringify(scopes), Date.now(), expiresAt, rotatedFrom,
    );
    return { key_id: keyId, key, scopes, name, expires_at: iso(expiresAt) };
  }

  #audit(actor: string, action: string, target: string | null, detail: unknown): void {
    this.#sql.exec(
      "INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
      Date.now(), actor, action, target, detail === null ? null : JSON.stringify(detail),
    );
  }

  async #claimIssuers(tenant: string, config: TenantConfig): Promise<TenantError | null> {
    const pairs = (config.jwt?.issuers ?? []).map((i) => ({ issuer: i.issuer, audience: i.audience }));
    const res = await this.env.TENANT_DIRECTORY.getByName(DIRECTORY_OBJECT_NAME).claimIssuers(tenant, pairs);
    return res.ok ? null : { code: "issuer_taken", ...res.taken };
  }

  /** Keep the operator's tenant list in step. */
  async #publish(row: TenantRow): Promise<void> {
    await this.env.TENANT_DIRECTORY.getByName(DIRECTORY_OBJECT_NAME).upsert({
      tenant_id: row.id, name: row.name, status: row.status, created_at: row.created_at, updated_at: row.updated_at,
    });
  }

  #ensureSchema(): void {
    if (this.#ready) return;
    migrate(this.#sql, TENANT_MIGRATIONS);
    this.#ready = true;
  }

  #row(): TenantRow | undefined {
    if (!this.#ready) return undefined;
    return this.#sql.exec<TenantRow>("SELECT * FROM tenant LIMIT 1").toArray()[0];
  }

  #key(keyId: string): KeyRow | undefined {
    return this.#sql.exec<KeyRow>("SELECT * FROM api_keys WHERE key_id = ?", keyId).toArray()[0];
  }

  #record(row: TenantRow): TenantRecord {
    return {
      tenant_id: row.id, name: row.name, status: row.status as TenantRecord["status"],
      created_at: iso(row.created_at)!, updated_at: iso(row.updated_at)!,
    };
  }
}

function keyInfo(row: KeyRow): KeyInfo {
  return {
    key_id: row.key_id, key_prefix: row.prefix, name: row.name, scopes: JSON.parse(row.scopes) as Scope[],
    created_at: iso(row.created_at)!, expires_at: iso(row.expires_at), revoked_at: iso(row.revoked_at),
    rotated_from: row.rotated_from,
  };
}

/** The config the edge acts on: the stored config with the tenant's incident, if it has had one. */
function effectiveConfig(row: TenantRow): TenantConfig {
  const config = JSON.parse(row.config) as TenantConfig;
  return row.incident ? { ...config, incident: JSON.parse(row.incident) as Incident } : config;
}

async function sha256Bytes(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
}
