/**
 * Alert records of one asset and their lifecycle: OPEN -> ACKNOWLEDGED | SUPPRESSED | RESOLVED
 * (ACKNOWLEDGED -> SUPPRESSED | RESOLVED), each change with actor and time. Every opening and
 * every change is also appended to the asset's log as a `bridge.alert` line, so evidence
 * bundles carry them under the same Merkle proof as the events (docs/alerts.md).
 */
import { canonicalize } from "../../shared/evidence/jcs.ts";
import type { PreparedEvent } from "../../shared/events.ts";
import { ALERTS_KEPT } from "../../shared/limits.ts";
import type { AlertSeverity } from "../../shared/tenant-config.ts";
import type { Firing } from "./alert-engine.ts";

export const ALERT_STATUSES = ["OPEN", "ACKNOWLEDGED", "SUPPRESSED", "RESOLVED"] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
export type AlertAction = "ack" | "suppress" | "resolve";

const TARGET: Record<AlertAction, AlertStatus> = { ack: "ACKNOWLEDGED", suppress: "SUPPRESSED", resolve: "RESOLVED" };
const ALLOWED_FROM: Record<AlertAction, readonly AlertStatus[]> = {
  ack: ["OPEN"],
  suppress: ["OPEN", "ACKNOWLEDGED"],
  resolve: ["OPEN", "ACKNOWLEDGED"],
};

type AlertRow = {
  id: string;
  rule: string;
  type: string;
  severity: string;
  key: string | null;
  status: string;
  seq: number;
  event_ts: number;
  value: number | null;
  opened_at: number;
  updated_at: number;
  repeats: number;
  actor: string | null;
  note: string | null;
  muted_until: number | null;
};

/** An alert as the API shows it. */
export interface AlertView {
  id: string;
  rule: string;
  type: string;
  severity: AlertSeverity;
  key?: string;
  status: AlertStatus;
  /** The event that fired it. */
  seq: number;
  event_ts: string;
  value?: number;
  opened_at: string;
  updated_at: string;
  /** Further firings inside the cooldown or mute, not opened as alerts of their own. */
  repeats: number;
  actor?: string;
  note?: string;
  muted_until?: string;
}

export function viewOf(r: AlertRow): AlertView {
  const v: AlertView = {
    id: r.id, rule: r.rule, type: r.type, severity: r.severity as AlertSeverity, status: r.status as AlertStatus, seq: r.seq,
    event_ts: new Date(r.event_ts).toISOString(), opened_at: new Date(r.opened_at).toISOString(),
    updated_at: new Date(r.updated_at).toISOString(), repeats: r.repeats,
  };
  if (r.key !== null) v.key = r.key;
  if (r.value !== null) v.value = r.value;
  if (r.actor !== null) v.actor = r.actor;
  if (r.note !== null) v.note = r.note;
  if (r.muted_until !== null) v.muted_until = new Date(r.muted_until).toISOString();
  return v;
}

/** Insert newly fired alerts; returns rows written. */
export function insertAlerts(sql: SqlStorage, fired: readonly Firing[], rts: number): number {
  let rows = 0;
  for (const f of fired) {
    rows += sql.exec(
      `INSERT OR IGNORE INTO alerts (id, rule, type, severity, key, status, seq, event_ts, value, opened_at, updated_at, repeats)
       VALUES (?, ?, ?, ?, ?, 'OPEN', ?, ?, ?, ?, ?, 0)`,
      f.id, f.rule, f.type, f.severity, f.key ?? null, f.seq, f.event_ts, f.value ?? null, rts, rts,
    ).rowsWritten;
  }
  return rows;
}

export function addRepeats(sql: SqlStorage, repeats: ReadonlyMap<string, number>): number {
  let rows = 0;
  for (const [id, n] of repeats) rows += sql.exec("UPDATE alerts SET repeats = repeats + ? WHERE id = ?", n, id).rowsWritten;
  return rows;
}

/** Keep at most ALERTS_KEPT records: the oldest closed ones go first, then the oldest of any status. */
export function trimAlerts(sql: SqlStorage): number {
  const n = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM alerts").one().n;
  if (n <= ALERTS_KEPT) return 0;
  return sql.exec(
    "DELETE FROM alerts WHERE rowid IN (SELECT rowid FROM alerts ORDER BY status IN ('OPEN', 'ACKNOWLEDGED'), rowid LIMIT ?)",
    n - ALERTS_KEPT,
  ).rowsWritten;
}

export function listAlerts(sql: SqlStorage, q: { status?: AlertStatus; limit: number; before?: number }): { alerts: AlertView[]; cursor: string | null } {
  const rows = sql
    .exec<AlertRow & { n: number }>(
      `SELECT rowid AS n, * FROM alerts WHERE rowid < ? ${q.status ? "AND status = ?" : ""} ORDER BY rowid DESC LIMIT ?`,
      ...[q.before ?? Number.MAX_SAFE_INTEGER, ...(q.status ? [q.status] : []), q.limit + 1],
    )
    .toArray();
  const page = rows.slice(0, q.limit);
  return { alerts: page.map(viewOf), cursor: rows.length > q.limit ? String(page.at(-1)!.n) : null };
}

export function getAlert(sql: SqlStorage, id: string): AlertRow | undefined {
  return sql.exec<AlertRow>("SELECT * FROM alerts WHERE id = ?", id).toArray()[0];
}

export type TransitionError = { code: "not_found" } | { code: "conflict"; status: AlertStatus };

/** Apply a lifecycle action (inside the caller's transaction); the updated row or why not. */
export function transition(
  sql: SqlStorage, id: string, action: AlertAction, by: { actor: string; note?: string; muted_until?: number }, now: number,
): { ok: true; row: AlertRow } | { ok: false; error: TransitionError } {
  const row = getAlert(sql, id);
  if (!row) return { ok: false, error: { code: "not_found" } };
  if (!ALLOWED_FROM[action].includes(row.status as AlertStatus)) return { ok: false, error: { code: "conflict", status: row.status as AlertStatus } };
  sql.exec(
    "UPDATE alerts SET status = ?, actor = ?, note = ?, updated_at = ?, muted_until = ? WHERE id = ?",
    TARGET[action], by.actor, by.note ?? null, now, action === "suppress" ? by.muted_until ?? null : row.muted_until, id,
  );
  return { ok: true, row: getAlert(sql, id)! };
}

/** The log line recording an alert opening. */
export function firedLine(f: Firing): PreparedEvent {
  const alert: Record<string, unknown> = { id: f.id, rule: f.rule, type: f.type, severity: f.severity, status: "OPEN", trigger_seq: f.seq };
  if (f.key !== undefined) alert.key = f.key;
  if (f.value !== undefined) alert.value = f.value;
  return { ts: f.event_ts, source: "bridge.alert", recordJcs: canonicalize({ alert }) };
}

/** The log line recording a lifecycle change. */
export function changeLine(row: AlertRow, now: number): PreparedEvent {
  const alert: Record<string, unknown> = { id: row.id, rule: row.rule, status: row.status, actor: row.actor };
  if (row.note !== null) alert.note = row.note;
  if (row.muted_until !== null && row.status === "SUPPRESSED") alert.muted_until = new Date(row.muted_until).toISOString();
  return { ts: now, source: "bridge.alert", recordJcs: canonicalize({ alert }) };
}
