/** One stored line of the live tail as a list item: time, level, seq, source and message. */
import { normalizeLevel } from "../../shared/levels.ts";
import { h } from "../dom.ts";
import { dateTime } from "../format.ts";

/** A stored line as the tail sends it (the evidence format, docs/evidence.md). */
export interface StoredLine {
  asset: string;
  id?: string;
  record: Record<string, unknown>;
  rts: string;
  seq: number;
  source: string;
  ts: string;
}

const MESSAGE_FIELDS = ["message", "msg", "log"];
const LEVEL_FIELDS = ["level", "severity", "log_level"];
const MAX_TEXT = 400;

function text(line: StoredLine): string {
  const r = line.record ?? {};
  const msg = MESSAGE_FIELDS.map((f) => r[f]).find((v) => typeof v === "string") as string | undefined;
  const t = msg ?? JSON.stringify(r);
  return t.length > MAX_TEXT ? `${t.slice(0, MAX_TEXT)}…` : t;
}

/** The level the bridge would give the record (same aliases as ingest), or "" when unknown. */
export function lineLevel(line: StoredLine): string {
  if (line.source === "bridge.alert") return "ALERT";
  const r = line.record ?? {};
  for (const f of LEVEL_FIELDS) {
    const l = normalizeLevel(r[f]);
    if (l) return l;
  }
  return "";
}

export function renderLine(line: StoredLine): HTMLLIElement {
  const level = lineLevel(line);
  return h("li", { class: `line${level ? ` lvl-line-${level}` : ""}`, "data-seq": line.seq },
    h("time", { datetime: line.ts }, dateTime(line.ts).slice(11)),
    h("span", { class: `badge${level ? ` badge-${level}` : ""}` }, level || "—"),
    h("span", { class: "seq" }, `#${line.seq}`),
    h("span", { class: "source" }, line.source),
    h("span", { class: "msg" }, text(line)));
}

/** A line the tail itself adds: an alert that fired, a gap, dropped lines. */
export function renderNote(kind: "alert" | "note", message: string): HTMLLIElement {
  return h("li", { class: `line line-${kind}` },
    h("time", null, dateTime(new Date().toISOString()).slice(11)),
    h("span", { class: `badge badge-${kind === "alert" ? "ALERT" : "NOTE"}` }, kind === "alert" ? "ALERT" : "NOTE"),
    h("span", { class: "msg" }, message));
}
