/**
 * The Tenant's enrichment range tables and redaction counters, in its SQLite
 * (docs/enrichment-and-redaction.md). A table is the encoded bytes the edge built
 * (shared/enrichment/range-table.ts), kept in parts under the 2 MB row limit; one version
 * number changes with every upload or delete, so an edge cache asks "changed since N?" and
 * gets nothing back when it has not. Tables stay in the Tenant object rather than R2: the
 * largest allowed set (MAX_RANGE_TABLES_BYTES) is a few rows, a replace is atomic with its
 * version bump and audit entry, and the edge reads it once per isolate and version.
 * Functions over the object's SQL; the Tenant class calls them inside its transactions.
 */
import { MAX_INDICATOR_LISTS, MAX_RANGE_TABLES_BYTES, MAX_REDACTION_REASONS, RANGE_TABLE_PART_BYTES } from "../../shared/limits.ts";

export type RangeKind = "asn" | "indicators";

export interface RangeTableInfo {
  /** "asn", or the indicator list's name. */
  name: string;
  kind: RangeKind;
  entries: number;
  bytes: number;
  updated_at: string;
}

export type RangeStoreError = { code: "tenant_not_found" | "not_found" | "too_many_lists" | "too_large"; detail?: string };
export type RangeResult<T> = { ok: true; value: T } | { ok: false; error: RangeStoreError };

/** What the edge loads: every table's bytes, unless it already holds this version. */
export type RangeTablesAnswer = { version: number; tables?: { name: string; kind: RangeKind; data: Uint8Array }[] };

type Row = { name: string; kind: string; entries: number; bytes: number; updated_at: number };

/** Storage key of a table: the ASN table is "asn", an indicator list "list:<name>". */
export const tableKey = (kind: RangeKind, name: string) => (kind === "asn" ? "asn" : `list:${name}`);

function info(r: Row): RangeTableInfo {
  return { name: r.kind === "asn" ? "asn" : r.name.slice(5), kind: r.kind as RangeKind, entries: r.entries, bytes: r.bytes, updated_at: new Date(r.updated_at).toISOString() };
}

export function rangeVersion(sql: SqlStorage): number {
  return sql.exec<{ version: number }>("SELECT version FROM range_version").toArray()[0]?.version ?? 0;
}

function bump(sql: SqlStorage): number {
  sql.exec("UPDATE range_version SET version = version + 1");
  return rangeVersion(sql);
}

/** Replace a table (call inside a transaction). Bounded: lists per tenant and bytes of all tables. */
export function putRange(sql: SqlStorage, kind: RangeKind, name: string, data: Uint8Array, entries: number, now: number): RangeResult<RangeTableInfo & { version: number }> {
  const key = tableKey(kind, name);
  const rows = sql.exec<Row>("SELECT * FROM range_tables").toArray();
  const others = rows.filter((r) => r.name !== key);
  if (kind === "indicators" && others.filter((r) => r.kind === "indicators").length >= MAX_INDICATOR_LISTS) {
    return { ok: false, error: { code: "too_many_lists", detail: `A tenant has at most ${MAX_INDICATOR_LISTS} indicator lists; delete one first.` } };
  }
  const total = others.reduce((n, r) => n + r.bytes, 0) + data.byteLength;
  if (total > MAX_RANGE_TABLES_BYTES) {
    return { ok: false, error: { code: "too_large", detail: `The tenant's tables would take ${total} bytes; the limit is ${MAX_RANGE_TABLES_BYTES}.` } };
  }
  sql.exec("DELETE FROM range_parts WHERE name = ?", key);
  for (let off = 0, part = 0; off < data.byteLength || part === 0; off += RANGE_TABLE_PART_BYTES, part++) {
    sql.exec("INSERT INTO range_parts (name, part, data) VALUES (?, ?, ?)", key, part, data.slice(off, off + RANGE_TABLE_PART_BYTES));
  }
  sql.exec(
    `INSERT INTO range_tables (name, kind, entries, bytes, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, entries = excluded.entries, bytes = excluded.bytes, updated_at = excluded.updated_at`,
    key, kind, entries, data.byteLength, now,
  );
  const version = bump(sql);
  return { ok: true, value: { ...info({ name: key, kind, entries, bytes: data.byteLength, updated_at: now }), version } };
}

/** Delete a table (call inside a transaction). */
export function deleteRange(sql: SqlStorage, kind: RangeKind, name: string): RangeResult<{ version: number }> {
  const key = tableKey(kind, name);
  if (!sql.exec("SELECT 1 FROM range_tables WHERE name = ?", key).toArray().length) return { ok: false, error: { code: "not_found" } };
  sql.exec("DELETE FROM range_parts WHERE name = ?", key);
  sql.exec("DELETE FROM range_tables WHERE name = ?", key);
  return { ok: true, value: { version: bump(sql) } };
}

export function listRanges(sql: SqlStorage): { version: number; tables: RangeTableInfo[] } {
  return { version: rangeVersion(sql), tables: sql.exec<Row>("SELECT * FROM range_tables ORDER BY name").toArray().map(info) };
}

/** Every table's bytes, or only the version when the caller already holds it. */
export function loadRanges(sql: SqlStorage, known: number | null): RangeTablesAnswer {
  const version = rangeVersion(sql);
  if (known === version) return { version };
  const tables = sql.exec<Row>("SELECT * FROM range_tables ORDER BY name").toArray().map((r) => {
    const data = new Uint8Array(r.bytes);
    let off = 0;
    for (const p of sql.exec<{ data: ArrayBuffer }>("SELECT data FROM range_parts WHERE name = ? ORDER BY part", r.name)) {
      data.set(new Uint8Array(p.data), off);
      off += p.data.byteLength;
    }
    return { name: info(r).name, kind: r.kind as RangeKind, data };
  });
  return { version, tables };
}

const REASON_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Add redaction counts by reason; a reason past MAX_REDACTION_REASONS distinct ones counts as "other". */
export function addRedactionCounts(sql: SqlStorage, counts: Record<string, number>): void {
  let known = sql.exec<{ n: number }>("SELECT count(*) AS n FROM redaction_totals").toArray()[0]!.n;
  for (const [reason, n] of Object.entries(counts)) {
    if (!REASON_RE.test(reason) || !Number.isSafeInteger(n) || n <= 0) continue;
    const exists = sql.exec("SELECT 1 FROM redaction_totals WHERE reason = ?", reason).toArray().length > 0;
    const key = exists || known < MAX_REDACTION_REASONS - 1 ? reason : "other";
    if (!exists && key === reason) known++;
    sql.exec("INSERT INTO redaction_totals (reason, n) VALUES (?, ?) ON CONFLICT (reason) DO UPDATE SET n = n + excluded.n", key, n);
  }
}

export function redactionCounts(sql: SqlStorage): Record<string, number> {
  return Object.fromEntries(sql.exec<{ reason: string; n: number }>("SELECT reason, n FROM redaction_totals ORDER BY reason").toArray().map((r) => [r.reason, r.n]));
}
