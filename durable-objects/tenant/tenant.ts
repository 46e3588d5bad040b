/**
 * Tenant Durable Object (one per tenant): the tenant record, its configuration
 * and its hashed API keys. The edge asks it to authenticate keys.
 */
import { DurableObject } from "cloudflare:workers";
import type { TenantConfig } from "../../shared/config.ts";
import type { Principal, Scope } from "../../shared/scopes.ts";
import { hasSchema, migrate } from "../../shared/sql-migrations.ts";
import type { Env } from "../env.ts";
import { maskedKey, newApiKey } from "./api-key.ts";
import { TENANT_MIGRATIONS } from "./schema.ts";

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
}

export type TenantError = { code: "tenant_exists" | "tenant_not_found" | "tenant_disabled" };

type TenantRow = { id: string; name: string; status: string; config: string; created_at: number; updated_at: number };
type KeyRow = {
  key_id: string; secret_sha256: ArrayBuffer; prefix: string; name: string | null; scopes: string;
  created_at: number; expires_at: number | null; revoked_at: number | null;
};

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export class Tenant extends DurableObject<Env> {
  #sql: SqlStorage;
  /**
   * Schema exists. Migrations run on the first write only, so a request with a made-up
   * tenant in its key (which reaches this object) leaves no storage behind.
   */
  #ready: boolean;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#ready = hasSchema(this.#sql);
    if (this.#ready) migrate(this.#sql, TENANT_MIGRATIONS);
  }

  #ensureSchema(): void {
    if (this.#ready) return;
    migrate(this.#sql, TENANT_MIGRATIONS);
    this.#ready = true;
  }

  async create(input: { tenant_id: string; name: string; config?: TenantConfig }) {
    this.#ensureSchema();
    if (this.#row()) return { ok: false as const, error: { code: "tenant_exists" } as TenantError };
    const now = Date.now();
    this.#sql.exec(
      "INSERT INTO tenant (id, name, config, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
      input.tenant_id, input.name, JSON.stringify(input.config ?? {}), now, now,
    );
    return { ok: true as const, value: this.#record(this.#row()!) };
  }

  async get() {
    const row = this.#row();
    if (!row) return { ok: false as const, error: { code: "tenant_not_found" } as TenantError };
    return { ok: true as const, value: { ...this.#record(row), config: JSON.parse(row.config) as TenantConfig } };
  }

  async putConfig(config: TenantConfig) {
    if (!this.#row()) return { ok: false as const, error: { code: "tenant_not_found" } as TenantError };
    this.#sql.exec("UPDATE tenant SET config = ?, updated_at = ?", JSON.stringify(config), Date.now());
    return { ok: true as const, value: config };
  }

  /** Create a key; the only time its secret leaves the object. */
  async createKey(input: { scopes: Scope[]; name?: string; expires_at?: number }) {
    const row = this.#row();
    if (!row) return { ok: false as const, error: { code: "tenant_not_found" } as TenantError };
    const { keyId, key } = newApiKey(row.id);
    const hash = await sha256Bytes(key);
    this.#sql.exec(
      "INSERT INTO api_keys (key_id, secret_sha256, prefix, name, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      keyId, hash, maskedKey(row.id, keyId), input.name ?? null, JSON.stringify(input.scopes), Date.now(),
      input.expires_at ?? null,
    );
    return { ok: true as const, value: { key_id: keyId, key, scopes: input.scopes } };
  }

  async listKeys() {
    if (!this.#row()) return { ok: false as const, error: { code: "tenant_not_found" } as TenantError };
    const rows = this.#sql.exec<KeyRow>("SELECT * FROM api_keys ORDER BY created_at, key_id").toArray();
    return { ok: true as const, value: rows.map(keyInfo) };
  }

  /**
   * Check a presented key. Returns the principal and the tenant config, or null for any
   * failure (unknown, wrong secret, revoked, expired, tenant disabled): callers learn nothing more.
   */
  async authenticate(keyId: string, presentedKey: string): Promise<{ principal: Principal; config: TenantConfig } | null> {
    const tenant = this.#row();
    if (!tenant || tenant.status !== "active") return null;
    const row = this.#sql.exec<KeyRow>("SELECT * FROM api_keys WHERE key_id = ?", keyId).toArray()[0];
    const presented = await sha256Bytes(presentedKey);
    // Compare even when the key id is unknown, so timing does not reveal which ids exist.
    const stored = row ? new Uint8Array(row.secret_sha256) : new Uint8Array(32);
    const equal = crypto.subtle.timingSafeEqual(stored, presented);
    if (!row || !equal) return null;
    const now = Date.now();
    if (row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) return null;
    return {
      principal: { tenant: tenant.id, keyId, scopes: JSON.parse(row.scopes) as Scope[] },
      config: JSON.parse(tenant.config) as TenantConfig,
    };
  }

  /** Remember where a bundle of this tenant lives (called by AssetLog when it seals one). */
  async indexBundle(entry: { id: string; asset: string; prefix: string; created_at: number }): Promise<void> {
    this.#ensureSchema();
    this.#sql.exec(
      "INSERT INTO bundles (id, asset, prefix, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
      entry.id, entry.asset, entry.prefix, entry.created_at,
    );
  }

  async findBundle(id: string): Promise<{ asset: string; prefix: string } | null> {
    if (!this.#ready) return null;
    const row = this.#sql.exec<{ asset: string; prefix: string }>("SELECT asset, prefix FROM bundles WHERE id = ?", id).toArray()[0];
    return row ?? null;
  }

  #row(): TenantRow | undefined {
    if (!this.#ready) return undefined;
    return this.#sql.exec<TenantRow>("SELECT * FROM tenant LIMIT 1").toArray()[0];
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
  };
}

async function sha256Bytes(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
}
