/**
 * Live tail of one asset: WebSockets held by its AssetLog with the hibernation API.
 * A connection gets a snapshot, then live `event` and `alert` frames through its own
 * filter, bounded per connection; it may resume from a seq. Protocol: docs/live-tail.md.
 */
import {
  TAIL_CLIENT_MESSAGES_PER_SECOND, TAIL_EVENT_FRAMES_PER_SECOND, TAIL_HEARTBEAT_MS, TAIL_MAX_CLIENT_MESSAGE_BYTES,
  TAIL_MAX_INVALID_MESSAGES, TAIL_MAX_SOCKETS_PER_ASSET, TAIL_REPLAY_MAX_BYTES, TAIL_RESUME_MAX_EVENTS,
  TAIL_SNAPSHOT_DEFAULT_EVENTS, TAIL_SNAPSHOT_MAX_EVENTS,
} from "../../shared/limits.ts";
import { utf8Length } from "../../shared/utf8.ts";
import {
  ackFrame, alertFrame, decodeClientMessage, errorFrame, eventFrame, gapFrame, heartbeatFrame, laggedFrame, matches,
  PING_MESSAGE, PONG_MESSAGE, snapshotFrame, type TailFilter, type TailItem,
} from "./tail-protocol.ts";

export type { TailItem } from "./tail-protocol.ts";

/** What the tail reads from its log. Seqs outside the ring buffer's window are never returned. */
export interface TailSource {
  /** Stored lines from `fromSeq` (or the oldest kept, if later), at most `limit`, ascending. */
  lines(fromSeq: number, limit: number): TailItem[];
  nextSeq(): number;
  oldestSeq(): number;
  summary(): unknown;
}

/**
 * Headers the edge sets on the upgrade it forwards, after authenticating the client. The edge
 * builds that request itself, so nothing the client sent reaches the object.
 */
export const TAIL_HEADERS = { tenant: "X-Tail-Tenant", asset: "X-Tail-Asset", snapshot: "X-Tail-Snapshot" } as const;

/** A WebSocket answer that closes at once with `code` and `reason`: how a client that asked to upgrade learns why not. */
export function closedSocket(code: number, reason: string): Response {
  const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  server.accept();
  server.close(code, reason);
  return new Response(null, { status: 101, webSocket: client });
}

/** Per-connection state that must survive hibernation (kept in the socket's attachment; small). */
interface Attachment extends TailFilter {
  paused: boolean;
  invalid: number;
}

/** Per-connection counters kept in memory only: losing them to hibernation loses nothing that matters. */
interface Conn {
  att: Attachment;
  windowAt: number;
  sent: number;
  dropped: number;
  droppedFrom: number;
  droppedTo: number;
  lastFrameAt: number;
  msgWindowAt: number;
  msgs: number;
  lastResumeAt: number;
}

const OPEN = 1;
/** Snapshots and replays read this many stored lines at a time (each is at most ~256 KiB). */
const READ_PAGE_LINES = 16;
const RATE_WINDOW_MS = 1000;

export class LiveTail {
  readonly #ctx: DurableObjectState;
  readonly #source: TailSource;
  readonly #conns = new Map<WebSocket, Conn>();
  #flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(ctx: DurableObjectState, source: TailSource) {
    this.#ctx = ctx;
    this.#source = source;
    // Pings are answered by the runtime, so an idle tail stays hibernated and costs nothing.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_MESSAGE, PONG_MESSAGE));
  }

  /**
   * Accept an upgrade forwarded by the edge. `serves` checks the tenant and asset the edge
   * verified against this object's identity; a mismatch is a routing bug and throws.
   */
  connect(request: Request, serves: (tenant: string, asset: string) => boolean): Response {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("Expected a WebSocket upgrade.", { status: 426 });
    const tenant = request.headers.get(TAIL_HEADERS.tenant);
    const asset = request.headers.get(TAIL_HEADERS.asset);
    if (!tenant || !asset || !serves(tenant, asset)) throw new Error("live tail upgrade for a tenant/asset this object does not hold");
    if (this.#ctx.getWebSockets().length >= TAIL_MAX_SOCKETS_PER_ASSET) return closedSocket(1013, "Too many live tail connections to this asset; retry later.");
    const want = Number(request.headers.get(TAIL_HEADERS.snapshot) ?? TAIL_SNAPSHOT_DEFAULT_EVENTS);
    const n = Number.isSafeInteger(want) ? Math.min(Math.max(want, 0), TAIL_SNAPSHOT_MAX_EVENTS) : TAIL_SNAPSHOT_DEFAULT_EVENTS;

    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.#ctx.acceptWebSocket(server);
    const att: Attachment = { levels: null, text: null, paused: false, invalid: 0 };
    server.serializeAttachment(att);
    const now = Date.now();
    const conn = this.#conn(server, now);
    const next = this.#source.nextSeq();
    const oldest = this.#source.oldestSeq();
    this.#send(server, conn, snapshotFrame(this.#newest(n, next, oldest), next, oldest, this.#source.summary()), now);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Send newly stored lines to every connection whose filter they pass, within its rate bound. */
  publish(items: TailItem[]): void {
    const sockets = this.#ctx.getWebSockets();
    if (!sockets.length || !items.length) return;
    const now = Date.now();
    const lowered: string[] = [];
    for (const ws of sockets) {
      const c = this.#conn(ws, now);
      const before = c.lastFrameAt;
      if (!c.att.paused) {
        this.#roll(ws, c, now);
        items.forEach((item, i) => {
          if (!matches(c.att, item, () => (lowered[i] ??= item.line.toLowerCase()))) return;
          if (c.sent < TAIL_EVENT_FRAMES_PER_SECOND) {
            c.sent++;
            this.#send(ws, c, eventFrame(item), now);
          } else {
            if (c.dropped === 0) c.droppedFrom = item.seq;
            c.dropped++;
            c.droppedTo = item.seq;
          }
        });
        if (c.dropped) this.#scheduleFlush();
      }
      // Filtered or paused connections still learn, at most every TAIL_HEARTBEAT_MS, that the log moves on.
      if (c.lastFrameAt === before && now - before >= TAIL_HEARTBEAT_MS) this.#send(ws, c, heartbeatFrame(now, this.#source.nextSeq()), now);
    }
    if (this.#conns.size > sockets.length) this.#prune(sockets);
  }

  /** Send an alert to every connection that is not paused (filters select events, not alerts). */
  publishAlert(alert: unknown): void {
    const sockets = this.#ctx.getWebSockets();
    if (!sockets.length) return;
    const now = Date.now();
    const frame = alertFrame(alert);
    for (const ws of sockets) {
      const c = this.#conn(ws, now);
      if (!c.att.paused) this.#send(ws, c, frame, now);
    }
  }

  /** A client message (the AssetLog's webSocketMessage). */
  message(ws: WebSocket, data: string | ArrayBuffer): void {
    const now = Date.now();
    const c = this.#conn(ws, now);
    const size = typeof data === "string" ? (data.length * 3 > TAIL_MAX_CLIENT_MESSAGE_BYTES ? utf8Length(data) : data.length) : data.byteLength;
    if (size > TAIL_MAX_CLIENT_MESSAGE_BYTES) return this.#close(ws, 1009, `Messages are limited to ${TAIL_MAX_CLIENT_MESSAGE_BYTES} bytes.`);
    if (now - c.msgWindowAt >= RATE_WINDOW_MS) {
      c.msgWindowAt = now;
      c.msgs = 0;
    }
    if (++c.msgs > TAIL_CLIENT_MESSAGES_PER_SECOND) return this.#invalid(ws, c, `At most ${TAIL_CLIENT_MESSAGES_PER_SECOND} messages per second.`, now);
    if (typeof data !== "string") return this.#invalid(ws, c, "Messages are JSON text; binary messages are not accepted.", now);
    const decoded = decodeClientMessage(data);
    if (!decoded.ok) return this.#invalid(ws, c, decoded.error, now);
    const m = decoded.value;
    switch (m.type) {
      case "ping":
        return this.#send(ws, c, PONG_MESSAGE, now);
      case "filter":
        this.#save(ws, c, { ...c.att, levels: m.levels, text: m.text });
        return this.#send(ws, c, ackFrame("filter", { level: m.levels, text: m.text }), now);
      case "pause":
      case "resume_live":
        this.#save(ws, c, { ...c.att, paused: m.type === "pause" });
        return this.#send(ws, c, ackFrame(m.type, { next_seq: this.#source.nextSeq() }), now);
      case "resume":
        return this.#resume(ws, c, m.seq, now);
    }
  }

  /**
   * The client closed (with `code`) or the socket failed: forget its counters. A client's close
   * is answered, echoing its code, so it does not wait for the handshake to time out.
   */
  closed(ws: WebSocket, code?: number, reason?: string): void {
    this.#conns.delete(ws);
    if (code === undefined) return;
    try {
      ws.close(code, reason);
    } catch {
      // A code that may not be sent (1005, 1006), or already closed.
      try {
        ws.close(1000);
      } catch {
        // Already closed.
      }
    }
  }

  /** Replay stored lines from `seq` through the filter, bounded, then carry on live. */
  #resume(ws: WebSocket, c: Conn, seq: number, now: number): void {
    if (now - c.lastResumeAt < RATE_WINDOW_MS) return this.#send(ws, c, errorFrame("At most one resume per second."), now);
    const next = this.#source.nextSeq();
    if (seq > next) return this.#invalid(ws, c, `/seq is beyond next_seq ${next}`, now);
    c.lastResumeAt = now;
    const oldest = this.#source.oldestSeq();
    if (seq < oldest) this.#send(ws, c, gapFrame(seq, oldest), now);
    const from = Math.max(seq, oldest);
    let end = from;
    let bytes = 0;
    let count = 0;
    // Page by page, so memory holds one page of lines whatever their size.
    replay: while (end < next && count < TAIL_RESUME_MAX_EVENTS) {
      const page = this.#source.lines(end, Math.min(READ_PAGE_LINES, TAIL_RESUME_MAX_EVENTS - count));
      if (!page.length) break;
      for (const item of page) {
        bytes += utf8Length(item.line);
        // Always make progress: the first line goes out even if it alone is over the cap.
        if (bytes > TAIL_REPLAY_MAX_BYTES && count > 0) break replay;
        if (matches(c.att, item, () => item.line.toLowerCase())) this.#send(ws, c, eventFrame(item), now);
        end = item.seq + 1;
        count++;
      }
    }
    if (c.att.paused) this.#save(ws, c, { ...c.att, paused: false });
    this.#send(ws, c, ackFrame("resume", { from, next_seq: end, more: end < this.#source.nextSeq() }), now);
  }

  /** An invalid message: an error frame, or closing with 1008 once a connection has sent too many. */
  #invalid(ws: WebSocket, c: Conn, detail: string, now: number): void {
    this.#save(ws, c, { ...c.att, invalid: c.att.invalid + 1 });
    if (c.att.invalid >= TAIL_MAX_INVALID_MESSAGES) return this.#close(ws, 1008, "Too many invalid messages.");
    this.#send(ws, c, errorFrame(detail), now);
  }

  /** Start a new rate window once the last is over, first reporting what the last one dropped. */
  #roll(ws: WebSocket, c: Conn, now: number): void {
    if (now - c.windowAt < RATE_WINDOW_MS) return;
    c.windowAt = now;
    c.sent = 0;
    if (c.dropped) {
      this.#send(ws, c, laggedFrame(c.dropped, c.droppedFrom, c.droppedTo), now);
      c.dropped = 0;
    }
  }

  /**
   * Report drops even when no further event comes to roll the window. A plain timer is enough:
   * it is best effort, a pending timer keeps the object from hibernating (so the in-memory
   * counts are still there when it fires), and eviction closes the sockets anyway. The one
   * alarm stays with ring trimming.
   */
  #scheduleFlush(): void {
    if (this.#flushTimer !== undefined) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      const now = Date.now();
      for (const [ws, c] of this.#conns) if (c.dropped) this.#roll(ws, c, now);
      if ([...this.#conns.values()].some((c) => c.dropped)) this.#scheduleFlush();
    }, RATE_WINDOW_MS);
  }

  /** The newest `n` lines before `next` (not before `oldest`) that fit in TAIL_REPLAY_MAX_BYTES, oldest first; read backwards page by page. */
  #newest(n: number, next: number, oldest: number): TailItem[] {
    const pages: TailItem[][] = [];
    let bytes = 0;
    let count = 0;
    let end = next;
    while (count < n && end > oldest) {
      const from = Math.max(oldest, end - Math.min(READ_PAGE_LINES, n - count));
      const page = this.#source.lines(from, end - from).filter((i) => i.seq < end);
      if (!page.length) break;
      let i = page.length;
      while (i > 0) {
        bytes += utf8Length(page[i - 1]!.line) + 1;
        if (bytes > TAIL_REPLAY_MAX_BYTES && count > 0) break;
        i--;
        count++;
      }
      pages.unshift(page.slice(i));
      if (i > 0) break;
      end = page[0]!.seq;
    }
    return pages.flat();
  }

  #conn(ws: WebSocket, now: number): Conn {
    let c = this.#conns.get(ws);
    if (!c) {
      // First sight since accept or since waking from hibernation: the filter comes from the attachment.
      const att = (ws.deserializeAttachment() as Attachment | null) ?? { levels: null, text: null, paused: false, invalid: 0 };
      c = { att, windowAt: now, sent: 0, dropped: 0, droppedFrom: 0, droppedTo: 0, lastFrameAt: 0, msgWindowAt: now, msgs: 0, lastResumeAt: 0 };
      this.#conns.set(ws, c);
    }
    return c;
  }

  #save(ws: WebSocket, c: Conn, att: Attachment): void {
    c.att = att;
    ws.serializeAttachment(att);
  }

  #send(ws: WebSocket, c: Conn, frame: string, now: number): void {
    if (ws.readyState !== OPEN) return;
    try {
      ws.send(frame);
      c.lastFrameAt = now;
    } catch {
      // Closed under us; webSocketClose will follow.
    }
  }

  #close(ws: WebSocket, code: number, reason: string): void {
    this.#conns.delete(ws);
    try {
      ws.close(code, reason);
    } catch {
      // Already closed.
    }
  }

  #prune(open: WebSocket[]): void {
    const live = new Set(open);
    for (const ws of this.#conns.keys()) if (!live.has(ws)) this.#conns.delete(ws);
  }
}
