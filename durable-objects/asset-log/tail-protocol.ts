/**
 * Live tail wire protocol (docs/live-tail.md): decoding client messages, the server-side
 * filter, and frame builders. Pure: no I/O, no bindings.
 */
import { LEVELS, type Level } from "../../shared/levels.ts";
import { TAIL_FILTER_TEXT_MAX_CHARS } from "../../shared/limits.ts";
import { err, ok, type Result } from "../../shared/result.ts";

/** One stored line as the tail sees it; `level` is the normalised level when known. */
export interface TailItem {
  seq: number;
  line: string;
  level?: string;
}

/** A connection's server-side filter; null fields match everything. `text` is lower-cased. */
export interface TailFilter {
  levels: Level[] | null;
  text: string | null;
}

export type ClientMessage =
  | ({ type: "filter" } & TailFilter)
  | { type: "resume"; seq: number }
  | { type: "pause" }
  | { type: "resume_live" }
  | { type: "ping" };

/** Decode one client text message; the error is the detail for an `error` frame. */
export function decodeClientMessage(text: string): Result<ClientMessage, string> {
  let u: unknown;
  try {
    u = JSON.parse(text);
  } catch {
    return err("message is not JSON");
  }
  if (typeof u !== "object" || u === null || Array.isArray(u)) return err("message must be a JSON object");
  const m = u as Record<string, unknown>;
  switch (m.type) {
    case "filter":
      return decodeFilter(m);
    case "resume":
      if (!Number.isSafeInteger(m.seq) || (m.seq as number) < 0) return err("/seq must be a non-negative integer");
      return ok({ type: "resume", seq: m.seq as number });
    case "pause":
    case "resume_live":
    case "ping":
      return ok({ type: m.type });
    default:
      return err('/type must be one of "filter", "resume", "pause", "resume_live", "ping"');
  }
}

function decodeFilter(m: Record<string, unknown>): Result<ClientMessage, string> {
  let levels: Level[] | null = null;
  if (m.level !== undefined && m.level !== null) {
    const raw = typeof m.level === "string" ? [m.level] : m.level;
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > LEVELS.length) {
      return err(`/level must be one level or a non-empty list of ${LEVELS.join(", ")}`);
    }
    const set = new Set<Level>();
    for (const [i, v] of raw.entries()) {
      const up = typeof v === "string" ? v.toUpperCase() : "";
      if (!(LEVELS as readonly string[]).includes(up)) return err(`/level/${i} must be one of ${LEVELS.join(", ")}`);
      set.add(up as Level);
    }
    levels = LEVELS.filter((l) => set.has(l));
  }
  let text: string | null = null;
  if (m.text !== undefined && m.text !== null && m.text !== "") {
    if (typeof m.text !== "string") return err("/text must be a string");
    if (m.text.length > TAIL_FILTER_TEXT_MAX_CHARS) return err(`/text must be at most ${TAIL_FILTER_TEXT_MAX_CHARS} characters`);
    text = m.text.toLowerCase();
  }
  return ok({ type: "filter", levels, text });
}

/**
 * Whether an item passes the filter. A line of unknown level never matches a level filter.
 * `lowered` gives the line lower-cased (memoised by the caller: one pass per line, not per socket).
 */
export function matches(filter: TailFilter, item: TailItem, lowered: () => string): boolean {
  if (filter.levels && !(item.level !== undefined && (filter.levels as string[]).includes(item.level))) return false;
  return filter.text === null || lowered().includes(filter.text);
}

// Stored lines are canonical JSON written by this object, so frames embed them by concatenation.

export function snapshotFrame(items: TailItem[], nextSeq: number, oldestSeq: number, summary: unknown): string {
  const events = items.map((i) => i.line).join(",");
  return `{"type":"snapshot","events":[${events}],"next_seq":${nextSeq},"oldest_seq":${oldestSeq},"summary":${JSON.stringify(summary ?? null)}}`;
}

export function eventFrame(item: TailItem): string {
  return `{"type":"event","seq":${item.seq},"event":${item.line}}`;
}

export function alertFrame(alert: unknown): string {
  return JSON.stringify({ type: "alert", alert });
}

export function heartbeatFrame(nowMs: number, nextSeq: number): string {
  return JSON.stringify({ type: "heartbeat", at: new Date(nowMs).toISOString(), next_seq: nextSeq });
}

export function laggedFrame(dropped: number, fromSeq: number, toSeq: number): string {
  return JSON.stringify({ type: "lagged", dropped, from_seq: fromSeq, to_seq: toSeq });
}

export function gapFrame(from: number, oldestSeq: number): string {
  return JSON.stringify({ type: "gap", from, oldest_seq: oldestSeq });
}

export function errorFrame(detail: string): string {
  return JSON.stringify({ type: "error", detail });
}

/** The answer to a control message (`filter`, `pause`, `resume_live`, `resume`), so a client knows it applies from here on. */
export function ackFrame(of: string, fields: Record<string, unknown>): string {
  return JSON.stringify({ type: "ack", of, ...fields });
}

/** The auto-response pair: answered by the runtime without waking a hibernating object. */
export const PING_MESSAGE = '{"type":"ping"}';
export const PONG_MESSAGE = '{"type":"pong"}';
