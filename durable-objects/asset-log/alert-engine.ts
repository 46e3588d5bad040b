/**
 * Stateful alert evaluation for one asset (DESIGN.md section 5, docs/alerts.md): windows,
 * hysteresis, cooldowns and mutes, kept in SQLite so they survive eviction and restarts.
 * The edge sends each event's stateless verdicts (`facts.hits`); this decides which fire.
 * Windows run on event time (the newest seen per rule and key); cooldowns and mutes on
 * receive time (they are about how often people are told).
 */
import type { EventFacts } from "../../shared/aggregates/event-facts.ts";
import { ALERT_BURST_MAX_KEYS, ALERT_RATIO_BUCKETS } from "../../shared/limits.ts";
import type { AlertRule, AlertSeverity } from "../../shared/tenant-config.ts";

/** A rule's state for one key (burst) or for the whole asset (key ""). */
interface RuleState {
  /** count, burst, error_rate (count mode): times of the matching events in the window, sorted, at most min_count. */
  ts?: number[];
  /** error_rate ratio mode: [bucket start (s), events, errors]. */
  buckets?: [number, number, number][];
  /** error_rate: false after firing until the rate falls below clear_below (hysteresis). */
  armed?: boolean;
  /** Receive time of the last alert opened, and its id. */
  fired_at?: number;
  alert_id?: string;
  /** Receive time until which new firings only count as repeats (a suppressed alert's mute). */
  muted_until?: number;
  /** Newest event time seen. */
  newest?: number;
}

export interface Firing {
  id: string;
  rule: string;
  type: AlertRule["type"];
  severity: AlertSeverity;
  key?: string;
  /** The event that made the rule fire. */
  seq: number;
  event_ts: number;
  /** What crossed the line: the field value, the window count, or the error ratio. */
  value?: number;
}

export interface Evaluation {
  /** New alerts to open. */
  fired: Firing[];
  /** Firings inside a cooldown or mute: counted on the alert already open. */
  repeats: Map<string, number>;
}

export interface EvalEvent {
  seq: number;
  ts: number;
  facts?: EventFacts;
}

const ERROR_LEVELS = new Set(["ERROR", "CRITICAL"]);

export class AlertEngine {
  #sql: SqlStorage;
  #cache = new Map<string, RuleState>();
  #dirty = new Set<string>();

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /**
   * Evaluate a batch in seq order. State changes stay pending until `persist` (called in the
   * append's transaction) or `discard` (when that transaction failed).
   */
  evaluate(rules: readonly AlertRule[], events: readonly EvalEvent[], rts: number): Evaluation {
    const out: Evaluation = { fired: [], repeats: new Map() };
    if (!rules.length) return out;
    const byName = new Map(rules.map((r) => [r.name, r]));
    const errorRules = rules.filter((r) => r.type === "error_rate");
    // An event dated after its receive time counts as received then: a clock far ahead (or a
    // forged time) cannot move a window's "now" into the future and stall it.
    for (const event of events) {
      const ev = event.ts > rts ? { ...event, ts: rts } : event;
      for (const hit of ev.facts?.hits ?? []) {
        const rule = byName.get(hit.rule);
        if (!rule || rule.type === "error_rate") continue;
        const key = rule.type === "burst" ? hit.key ?? "" : "";
        const st = this.#state(rule.name, key);
        if (rule.type === "count" || rule.type === "burst") {
          const n = this.#window(st, rule, ev.ts);
          if (n === undefined) continue;
          if (n >= rule.min_count!) {
            st.ts = [];
            this.#fire(out, st, rule, key, ev, rts, n);
          }
        } else {
          this.#fire(out, st, rule, key, ev, rts, hit.value);
        }
        this.#dirty.add(stateKey(rule.name, key));
      }
      for (const rule of errorRules) {
        const isError = ev.facts?.level !== undefined && ERROR_LEVELS.has(ev.facts.level);
        const st = this.#state(rule.name, "");
        const value = rule.ratio === undefined ? this.#errorCount(st, rule, ev.ts, isError) : this.#errorRatio(st, rule, ev.ts, isError);
        if (value === undefined) continue;
        // The window moved even when there are too few samples to judge: keep it.
        this.#dirty.add(stateKey(rule.name, ""));
        if (value === null) continue;
        const firing = rule.ratio === undefined ? value >= rule.min_count! : value >= rule.ratio;
        const clear = clearBelow(rule);
        if (st.armed === false) {
          if (value < clear) st.armed = true;
          continue;
        }
        if (firing) {
          st.armed = false;
          this.#fire(out, st, rule, "", ev, rts, value);
        }
      }
    }
    return out;
  }

  /** Write the pending state changes (inside the caller's transaction). Returns rows written. */
  persist(rts: number): number {
    let rows = 0;
    for (const k of this.#dirty) {
      const [rule, key] = splitKey(k);
      rows += this.#sql.exec(
        "INSERT INTO alert_state (rule, key, state, at) VALUES (?, ?, ?, ?) ON CONFLICT (rule, key) DO UPDATE SET state = excluded.state, at = excluded.at",
        rule, key, JSON.stringify(this.#cache.get(k)), rts,
      ).rowsWritten;
    }
    this.#dirty.clear();
    return rows;
  }

  /**
   * Forget what is in memory: the transaction that would have written it failed (possibly after
   * `persist` ran inside it), so only storage is to be trusted.
   */
  discard(): void {
    this.#cache.clear();
    this.#dirty.clear();
  }

  /** A resolved alert: the next firing of its rule and key opens a new alert, cooldown or not. */
  forget(rule: string, key: string, alertId: string): void {
    const st = this.#state(rule, key);
    if (st.alert_id !== alertId) return;
    delete st.alert_id;
    delete st.fired_at;
    this.#dirty.add(stateKey(rule, key));
  }

  /** Mute new alerts of a rule and key until `until` (receive time): a suppressed alert. */
  mute(rule: string, key: string, until: number): void {
    const st = this.#state(rule, key);
    st.muted_until = Math.max(st.muted_until ?? 0, until);
    this.#dirty.add(stateKey(rule, key));
  }

  /**
   * Drop states that can no longer matter (window passed, cooldown and mute over), and the
   * least recently touched burst keys beyond ALERT_BURST_MAX_KEYS per rule.
   */
  prune(rules: readonly AlertRule[], now: number): number {
    let deleted = 0;
    const horizon = Math.max(0, ...rules.map((r) => (r.window_seconds ?? 0) + r.cooldown_seconds)) * 1000;
    // A suppressed alert's mute outlives quiet days: states still muting are kept.
    const unmuted = "COALESCE(json_extract(state, '$.muted_until'), 0) <= ?";
    deleted += this.#sql.exec(`DELETE FROM alert_state WHERE at < ? AND ${unmuted}`, now - horizon - 86_400_000, now).rowsWritten;
    for (const r of rules) {
      if (r.type !== "burst") continue;
      deleted += this.#sql.exec(
        `DELETE FROM alert_state WHERE rule = ? AND ${unmuted} AND key IN (SELECT key FROM alert_state WHERE rule = ? ORDER BY at DESC LIMIT -1 OFFSET ?)`,
        r.name, now, r.name, ALERT_BURST_MAX_KEYS,
      ).rowsWritten;
    }
    const names = new Set(rules.map((r) => r.name));
    for (const row of this.#sql.exec<{ rule: string }>("SELECT DISTINCT rule FROM alert_state").toArray()) {
      if (!names.has(row.rule)) deleted += this.#sql.exec("DELETE FROM alert_state WHERE rule = ?", row.rule).rowsWritten;
    }
    this.#cache.clear();
    return deleted;
  }

  #fire(out: Evaluation, st: RuleState, rule: AlertRule, key: string, ev: EvalEvent, rts: number, value: number | undefined): void {
    const quietUntil = Math.max((st.fired_at ?? -Infinity) + rule.cooldown_seconds * 1000, st.muted_until ?? -Infinity);
    if (st.alert_id !== undefined && rts < quietUntil) {
      out.repeats.set(st.alert_id, (out.repeats.get(st.alert_id) ?? 0) + 1);
      return;
    }
    const id = `${ev.seq}-${rule.name}`;
    st.fired_at = rts;
    st.alert_id = id;
    const f: Firing = { id, rule: rule.name, type: rule.type, severity: rule.severity, seq: ev.seq, event_ts: ev.ts };
    if (key) f.key = key;
    if (value !== undefined) f.value = value;
    out.fired.push(f);
  }

  /** Add a matching event to a count/burst window; the count inside the window, or undefined if too late. */
  #window(st: RuleState, rule: AlertRule, ts: number): number | undefined {
    const w = rule.window_seconds! * 1000;
    const newest = Math.max(st.newest ?? ts, ts);
    // Events older than the window behind the newest seen can never complete it.
    if (ts < newest - w) return undefined;
    st.newest = newest;
    const list = dropOlder(st.ts ?? [], newest - w);
    insertSorted(list, ts);
    if (list.length > rule.min_count!) list.splice(0, list.length - rule.min_count!);
    st.ts = list;
    // With out-of-order times, the newest min_count need not all be within one window.
    const n = list.length;
    return n >= rule.min_count! && list[n - 1]! - list[n - rule.min_count!]! <= w ? n : Math.min(n, rule.min_count! - 1);
  }

  #errorCount(st: RuleState, rule: AlertRule, ts: number, isError: boolean): number | undefined {
    const w = rule.window_seconds! * 1000;
    const newest = Math.max(st.newest ?? ts, ts);
    if (ts < newest - w) return undefined;
    st.newest = newest;
    const list = dropOlder(st.ts ?? [], newest - w);
    if (isError) insertSorted(list, ts);
    // One more than needed, so the count can be seen above the threshold (hysteresis needs it to fall).
    if (list.length > rule.min_count! + 1) list.splice(0, list.length - rule.min_count! - 1);
    st.ts = list;
    return list.length;
  }

  /** The error share in the window; null with fewer than min_samples events; undefined when the event is too old. */
  #errorRatio(st: RuleState, rule: AlertRule, ts: number, isError: boolean): number | null | undefined {
    const width = Math.max(1, Math.ceil(rule.window_seconds! / ALERT_RATIO_BUCKETS));
    const at = Math.floor(ts / 1000 / width) * width;
    const newest = Math.max(st.newest ?? ts, ts);
    const oldest = Math.floor(newest / 1000 / width) * width - (ALERT_RATIO_BUCKETS - 1) * width;
    if (at < oldest) return undefined;
    st.newest = newest;
    const buckets = (st.buckets ?? []).filter((b) => b[0] >= oldest);
    let b = buckets.find((x) => x[0] === at);
    if (!b) buckets.push((b = [at, 0, 0]));
    b[1]++;
    if (isError) b[2]++;
    st.buckets = buckets;
    let total = 0;
    let errors = 0;
    for (const x of buckets) { total += x[1]; errors += x[2]; }
    if (total < rule.min_samples!) return st.armed === false ? 0 : null;
    return errors / total;
  }

  #state(rule: string, key: string): RuleState {
    const k = stateKey(rule, key);
    let st = this.#cache.get(k);
    if (!st) {
      const row = this.#sql.exec<{ state: string }>("SELECT state FROM alert_state WHERE rule = ? AND key = ?", rule, key).toArray()[0];
      st = row ? (JSON.parse(row.state) as RuleState) : {};
      // Bounded: states are re-read from storage when needed again.
      if (this.#cache.size >= ALERT_BURST_MAX_KEYS && !this.#dirty.size) this.#cache.clear();
      this.#cache.set(k, st);
    }
    return st;
  }
}

function stateKey(rule: string, key: string): string {
  return `${rule}\u0000${key}`;
}

function splitKey(k: string): [string, string] {
  const i = k.indexOf("\u0000");
  return [k.slice(0, i), k.slice(i + 1)];
}

/** Hysteresis level: below it a fired error_rate rule re-arms (default: half the threshold, rounded up). */
export function clearBelow(rule: AlertRule): number {
  return rule.clear_below ?? (rule.ratio === undefined ? Math.ceil(rule.min_count! / 2) : rule.ratio / 2);
}

/** The sorted list without the times before `from` (in place when nothing goes). */
function dropOlder(a: number[], from: number): number[] {
  let i = 0;
  while (i < a.length && a[i]! < from) i++;
  return i === 0 ? a : a.slice(i);
}

function insertSorted(a: number[], v: number): void {
  let i = a.length;
  while (i > 0 && a[i - 1]! > v) i--;
  a.splice(i, 0, v);
}
