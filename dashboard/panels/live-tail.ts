/**
 * The live tail (docs/live-tail.md): a token from POST .../tail/token (the key stays in a
 * header), then a WebSocket with ?token=. Snapshot, then live lines, newest first; pause and
 * resume (resuming replays what was missed), server-side filters by level and text (applying one
 * replays the lines already seen through it), a ping every 30 s, and reconnection that resumes
 * from the last seq seen. A refusal the bridge explains (close 1008) is shown, not retried.
 */
import { LEVELS } from "../../shared/levels.ts";
import { assetPath, explain, postJson } from "../api.ts";
import { announce, h } from "../dom.ts";
import { lineLevel, renderLine, renderNote, type StoredLine } from "./tail-line.ts";

const MAX_LINES = 200;
const SNAPSHOT_LINES = 50;
const PING_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;
/** Close codes the bridge uses for "do not retry as is" (docs/live-tail.md). */
const FINAL_CODES = new Set([1008, 1009]);

type Frame =
  | { type: "snapshot"; events: StoredLine[]; next_seq: number; oldest_seq: number }
  | { type: "event"; seq: number; event: StoredLine }
  | { type: "alert"; alert: { id: string; rule: string; severity: string; status: string; key?: string; value?: number } }
  | { type: "heartbeat"; next_seq: number }
  | { type: "lagged"; dropped: number; from_seq: number; to_seq: number }
  | { type: "gap"; from: number; oldest_seq: number }
  | { type: "ack"; of: string; next_seq?: number; level?: string[] | null; text?: string | null }
  | { type: "error"; detail: string }
  | { type: "pong" };

export interface LiveTail {
  element: HTMLElement;
  stop(): void;
}

export function liveTail(asset: string): LiveTail {
  let ws: WebSocket | null = null;
  let stopped = false;
  let paused = false;
  let lastSeq: number | null = null;
  let firstSeq: number | null = null;
  let backoff = 1000;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let pingTimer: ReturnType<typeof setInterval> | undefined;
  const shown = new Set<number>();
  /** The filter in force (what was last applied, not what the form holds now). */
  let applied: { type: "filter"; level?: string[]; text?: string } = { type: "filter" };
  let filterPending = false;

  const status = h("p", { class: "tail-status", role: "status" }, "Not connected.");
  const list = h("ol", { class: "tail-lines", "aria-label": "Tail lines, newest first", reversed: true });
  const pauseButton = h("button", { type: "button", "aria-pressed": "false", disabled: true, onclick: () => togglePause() }, "Pause");
  const reconnectButton = h("button", { type: "button", hidden: true, onclick: () => { reconnectButton.hidden = true; void connect(); } }, "Reconnect");
  const levelBoxes = LEVELS.map((l) => h("input", { type: "checkbox", name: "level", value: l, id: `tail-level-${l}` }));
  const textInput = h("input", { type: "search", id: "tail-text", name: "text", maxlength: 256, autocomplete: "off", spellcheck: "false" });
  const filterForm = h("form", { class: "tail-filter", onsubmit: (e) => { e.preventDefault(); applyFilter(); } },
    h("fieldset", null, h("legend", null, "Levels"),
      ...LEVELS.map((l, i) => h("label", { class: "check" }, levelBoxes[i]!, l))),
    h("label", { for: "tail-text" }, "Text contains"), textInput,
    h("button", { type: "submit" }, "Apply filter"),
    h("button", { type: "button", onclick: () => { levelBoxes.forEach((b) => (b.checked = false)); textInput.value = ""; applyFilter(); } }, "Clear filter"));

  const setStatus = (text: string, kind: "ok" | "error" | "info" = "info") => {
    status.textContent = text;
    status.className = `tail-status tail-${kind}`;
  };
  const send = (msg: unknown) => ws?.readyState === WebSocket.OPEN && ws.send(JSON.stringify(msg));
  const filterMessage = () => {
    const level = levelBoxes.filter((b) => b.checked).map((b) => b.value);
    const text = textInput.value.trim();
    return { type: "filter" as const, ...(level.length ? { level } : {}), ...(text ? { text } : {}) };
  };
  /**
   * Whether to show a live line. The bridge filters; only between a reconnection and the ack of
   * the re-sent filter does the new connection send everything, and then this approximates the
   * bridge's filter (level from the usual record fields, case-insensitive text in the line).
   */
  const passes = (line: StoredLine) => {
    if (!filterPending) return true;
    const { level, text } = applied;
    if (level && !level.includes(lineLevel(line))) return false;
    return !text || JSON.stringify(line).toLowerCase().includes(text.toLowerCase());
  };
  const add = (li: HTMLLIElement) => {
    list.prepend(li);
    while (list.children.length > MAX_LINES) list.lastElementChild!.remove();
  };
  const addLine = (line: StoredLine) => {
    if (shown.has(line.seq)) return;
    shown.add(line.seq);
    lastSeq = Math.max(lastSeq ?? -1, line.seq);
    firstSeq = Math.min(firstSeq ?? line.seq, line.seq);
    add(renderLine(line));
  };

  function onFrame(f: Frame): void {
    switch (f.type) {
      case "snapshot": {
        backoff = 1000;
        pauseButton.disabled = false;
        if (applied.level || applied.text) {
          filterPending = true;
          send(applied);
        }
        if (paused) {
          // A reconnection while paused stays paused; Resume fetches what was missed.
          send({ type: "pause" });
          return;
        }
        if (lastSeq !== null) {
          // A reconnection: fetch what was stored meanwhile instead of a second snapshot.
          send({ type: "resume", seq: lastSeq + 1 });
        } else {
          f.events.forEach(addLine);
          if (firstSeq === null) firstSeq = f.next_seq;
        }
        setStatus(`Live: showing new lines as they are stored (log at seq ${f.next_seq}).`, "ok");
        announce("Live tail connected.");
        return;
      }
      case "event": return passes(f.event) ? addLine(f.event) : undefined;
      case "alert": {
        const a = f.alert;
        add(renderNote("alert", `${a.severity} alert "${a.rule}" ${a.status.toLowerCase()}${a.key ? ` for ${a.key}` : ""}${a.value !== undefined ? ` (value ${a.value})` : ""} — ${a.id}`));
        return announce(`Alert ${a.rule} ${a.status.toLowerCase()}.`);
      }
      case "lagged": return add(renderNote("note", `${f.dropped} matching lines (seq ${f.from_seq}–${f.to_seq}) were not sent: more than the tail's rate. Pause and resume to fetch them.`));
      case "gap": return add(renderNote("note", `Lines from seq ${f.from} were already evicted from the ring buffer; continuing from ${f.oldest_seq}.`));
      case "heartbeat": return paused ? setStatus(`Paused. The log is at seq ${f.next_seq}.`) : undefined;
      case "error": return add(renderNote("note", `The bridge refused a message: ${f.detail}`));
      case "ack":
        if (f.of === "pause") setStatus(`Paused. Resume to see what was stored meanwhile.`);
        else if (f.of === "resume_live" || f.of === "resume") setStatus(`Live: showing new lines as they are stored (log at seq ${f.next_seq}).`, "ok");
        else if (f.of === "filter") {
          filterPending = false;
          const parts = [f.level?.length ? `levels ${f.level.join(", ")}` : "", f.text ? `text "${f.text}"` : ""].filter(Boolean);
          add(renderNote("note", parts.length ? `Filter: ${parts.join(" and ")}.` : "No filter: every line."));
        }
        return;
      case "pong": return;
    }
  }

  function togglePause(): void {
    if (!paused) {
      paused = true;
      send({ type: "pause" });
      pauseButton.textContent = "Resume";
      pauseButton.setAttribute("aria-pressed", "true");
    } else {
      paused = false;
      // Replays the lines stored while paused (through the filter), then goes live.
      send(lastSeq === null ? { type: "resume_live" } : { type: "resume", seq: lastSeq + 1 });
      pauseButton.textContent = "Pause";
      pauseButton.setAttribute("aria-pressed", "false");
    }
  }

  function applyFilter(): void {
    applied = filterMessage();
    list.replaceChildren();
    shown.clear();
    send(applied);
    // Replay the lines seen so far through the new filter (the bridge caps a replay at 1,000 lines).
    if (firstSeq !== null) send({ type: "resume", seq: firstSeq });
    paused = false;
    pauseButton.textContent = "Pause";
    pauseButton.setAttribute("aria-pressed", "false");
  }

  async function connect(): Promise<void> {
    if (stopped) return;
    setStatus("Connecting…");
    let token: string;
    try {
      token = (await postJson<{ token: string }>(assetPath(asset, "/tail/token"))).body.token;
    } catch (e) {
      setStatus(`The live tail cannot start: ${explain(e, "read", "The live tail")}`, "error");
      reconnectButton.hidden = false;
      return;
    }
    if (stopped) return;
    const url = new URL(assetPath(asset, "/tail"), location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("token", token);
    url.searchParams.set("snapshot", String(lastSeq === null ? SNAPSHOT_LINES : 0));
    const socket = new WebSocket(url);
    ws = socket;
    socket.addEventListener("message", (e) => {
      try {
        onFrame(JSON.parse(String(e.data)) as Frame);
      } catch {
        // not a frame we know: ignore, as the protocol allows new frame types
      }
    });
    socket.addEventListener("close", (e) => {
      clearInterval(pingTimer);
      pauseButton.disabled = true;
      if (stopped || ws !== socket) return;
      ws = null;
      if (FINAL_CODES.has(e.code)) {
        setStatus(`The bridge closed the tail (${e.code}): ${e.reason || "no reason given"}`, "error");
        reconnectButton.hidden = false;
        return;
      }
      const wait = backoff;
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      const why = `Disconnected (${e.code}${e.reason ? `: ${e.reason}` : ""}); reconnecting in ${Math.round(wait / 1000)} s…`;
      setStatus(why, "error");
      add(renderNote("note", why));
      retryTimer = setTimeout(() => void connect(), wait);
    });
    // Exactly this text: the runtime answers it without waking the asset's object.
    pingTimer = setInterval(() => socket.readyState === WebSocket.OPEN && socket.send('{"type":"ping"}'), PING_MS);
  }

  void connect();
  const element = h("div", { class: "tail" },
    h("div", { class: "tail-controls" }, pauseButton, reconnectButton, status),
    filterForm,
    list);
  return {
    element,
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      clearInterval(pingTimer);
      ws?.close(1000, "left the page");
    },
  };
}
