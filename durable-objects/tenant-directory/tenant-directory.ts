/**
 * TenantDirectory Durable Object (one, named "directory"): the list of tenants, for the
 * operator's admin API, and where the retention pass stands in it. Only admin calls and the
 * cron reach it; request paths never do (a key names its tenant, so authentication goes
 * straight to that tenant's object).
 */
import { DurableObject } from "cloudflare:workers";
import { hasSchema, migrate } from "../../shared/sql-migrations.ts";
import type { Env } from "../env.ts";

const MIGRATIONS = [
  `CREATE TABLE tenants (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   ) WITHOUT ROWID;`,
  // JWT issuers by (issuer, audience): which tenant a bearer token belongs to.
  `CREATE TABLE jwt_issuers (
     issuer TEXT NOT NULL,
     audience TEXT NOT NULL,
     tenant TEXT NOT NULL,
     PRIMARY KEY (issuer, audience)
   ) WITHOUT ROWID;`,
  // The retention pass walks tenants in this object's id order, so where it stands is one point:
  // kept here, next to that order, with the lease that keeps the cron and operator runs apart.
  `CREATE TABLE retention_pass (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     position TEXT,
     holder TEXT,
     lease_until INTEGER NOT NULL DEFAULT 0
   );
   INSERT INTO retention_pass (id, position, holder, lease_until) VALUES (1, NULL, NULL, 0);`,
] as const;

export interface DirectoryEntry {
  tenant_id: string;
  name: string;
  status: string;
  created_at: string;
  updated_at: string;
}

type Row = { id: string; name: string; status: string; created_at: number; updated_at: number };

/** A retention run's lease: the saved position (JSON, opaque here), or who holds the pass until when. */
export type RetentionLease = { ok: true; position: string | null } | { ok: false; held_until: number };

export class TenantDirectory extends DurableObject<Env> {
  #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    if (hasSchema(this.#sql)) migrate(this.#sql, MIGRATIONS);
  }

  /** Insert or refresh a tenant's entry (idempotent: tenants call it on every change). */
  async upsert(entry: { tenant_id: string; name: string; status: string; created_at: number; updated_at: number }): Promise<void> {
    migrate(this.#sql, MIGRATIONS);
    this.#sql.exec(
      `INSERT INTO tenants (id, name, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = excluded.status, updated_at = excluded.updated_at`,
      entry.tenant_id, entry.name, entry.status, entry.created_at, entry.updated_at,
    );
  }

  /**
   * Make (issuer, audience) pairs the tenant's, replacing its previous ones. Fails without
   * change when another tenant holds a pair: a token must never be ambiguous.
   */
  async claimIssuers(tenant: string, pairs: { issuer: string; audience: string }[]): Promise<{ ok: true } | { ok: false; taken: { issuer: string; audience: string } }> {
    migrate(this.#sql, MIGRATIONS);
    for (const p of pairs) {
      const owner = this.#sql.exec<{ tenant: string }>("SELECT tenant FROM jwt_issuers WHERE issuer = ? AND audience = ?", p.issuer, p.audience).toArray()[0];
      if (owner && owner.tenant !== tenant) return { ok: false, taken: p };
    }
    this.ctx.storage.transactionSync(() => {
      this.#sql.exec("DELETE FROM jwt_issuers WHERE tenant = ?", tenant);
      for (const p of pairs) this.#sql.exec("INSERT OR IGNORE INTO jwt_issuers (issuer, audience, tenant) VALUES (?, ?, ?)", p.issuer, p.audience, tenant);
    });
    return { ok: true };
  }

  /** The tenant that registered this (issuer, audience), or null. */
  async issuerTenant(issuer: string, audience: string): Promise<string | null> {
    if (!hasSchema(this.#sql)) return null;
    const row = this.#sql.exec<{ tenant: string }>("SELECT tenant FROM jwt_issuers WHERE issuer = ? AND audience = ?", issuer, audience).toArray()[0];
    return row?.tenant ?? null;
  }

  /**
   * Take the retention pass for `runId` for `leaseMs` (refused while another run's lease lasts)
   * and return where the last run stopped.
   */
  async beginRetention(runId: string, leaseMs: number): Promise<RetentionLease> {
    migrate(this.#sql, MIGRATIONS);
    const now = Date.now();
    const row = this.#sql.exec<{ position: string | null; holder: string | null; lease_until: number }>("SELECT * FROM retention_pass").one();
    if (row.holder !== null && row.holder !== runId && row.lease_until > now) return { ok: false, held_until: row.lease_until };
    this.#sql.exec("UPDATE retention_pass SET holder = ?, lease_until = ?", runId, now + leaseMs);
    return { ok: true, position: row.position };
  }

  /**
   * Save where run `runId` stands and extend its lease, or (`release`) give the pass up. False
   * when the run no longer holds the pass (its lease lapsed and another run took it): it must stop.
   */
  async checkpointRetention(runId: string, position: string | null, leaseMs: number, release = false): Promise<boolean> {
    migrate(this.#sql, MIGRATIONS);
    const holder = this.#sql.exec<{ holder: string | null }>("SELECT holder FROM retention_pass").one().holder;
    if (holder !== runId) return false;
    this.#sql.exec(
      "UPDATE retention_pass SET position = ?, holder = ?, lease_until = ?",
      position, release ? null : runId, release ? 0 : Date.now() + leaseMs,
    );
    return true;
  }

  /** Tenants in id order, `limit` at a time, after `cursor` (the last id of the previous page). */
  async list(limit: number, cursor?: string): Promise<{ tenants: DirectoryEntry[]; next_cursor: string | null }> {
    if (!hasSchema(this.#sql)) return { tenants: [], next_cursor: null };
    const rows = this.#sql
      .exec<Row>("SELECT * FROM tenants WHERE id > ? ORDER BY id LIMIT ?", cursor ?? "", limit + 1)
      .toArray();
    const page = rows.slice(0, limit).map((r) => ({
      tenant_id: r.id, name: r.name, status: r.status,
      created_at: new Date(r.created_at).toISOString(), updated_at: new Date(r.updated_at).toISOString(),
    }));
    return { tenants: page, next_cursor: rows.length > limit ? page.at(-1)!.tenant_id : null };
  }
}
