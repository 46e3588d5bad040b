/**
 * LiveTail against a stand-in DurableObjectState (real WebSocketPairs, a fake source): what
 * survives hibernation, level filters on known levels, the replay caps and the socket bound.
 */
import { describe, expect, it } from "vitest";
import { LiveTail, TAIL_HEADERS, type TailItem, type TailSource } from "../../durable-objects/asset-log/live-tail.ts";
import { TAIL_MAX_SOCKETS_PER_ASSET, TAIL_REPLAY_MAX_BYTES, TAIL_RESUME_MAX_EVENTS } from "../../shared/limits.ts";

/** The runtime's side of hibernatable sockets: accepted sockets stay listed until closed. */
function fakeState() {
  const sockets: WebSocket[] = [];
  const state = {
    acceptWebSocket(ws: WebSocket) {
      ws.accept();
      sockets.push(ws);
    },
    getWebSockets: () => sockets.filter((ws) => ws.readyState === 1),
    setWebSocketAutoResponse() {},
  };
  return { state: state as unknown as DurableObjectState, sockets };
}

/** A log of `n` lines, seq from `oldest`, each with an optional level. */
function fakeSource(items: TailItem[], oldest = 0): TailSource {
  return {
    lines: (from, limit) => items.filter((i) => i.seq >= Math.max(from, oldest)).slice(0, limit),
    nextSeq: () => (items.at(-1)?.seq ?? -1) + 1,
    oldestSeq: () => oldest,
    summary: () => ({ size: items.length }),
  };
}

const line = (seq: number, extra = "") => `{"record":{"m":"${extra}"},"seq":${seq}}`;

function upgrade(snapshot?: number): Request {
  const headers: Record<string, string> = { Upgrade: "websocket", [TAIL_HEADERS.tenant]: "t", [TAIL_HEADERS.asset]: "a" };
  if (snapshot !== undefined) headers[TAIL_HEADERS.snapshot] = String(snapshot);
  return new Request("https://asset-log.internal/tail", { headers });
}

/** Connect a client; returns the frames it receives (parsed) and the server-side socket. */
function connect(tail: LiveTail, sockets: WebSocket[], snapshot?: number) {
  const res = tail.connect(upgrade(snapshot), () => true);
  const frames: any[] = [];
  const client = res.webSocket!;
  let closed: { code: number; reason: string } | undefined;
  client.addEventListener("message", (e) => {
    frames.push(JSON.parse(e.data as string));
  });
  client.addEventListener("close", (e) => {
    closed = { code: e.code, reason: e.reason };
  });
  client.accept();
  return { frames, server: sockets.at(-1)!, closedWith: () => closed };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe("LiveTail", () => {
  it("keeps each connection's filter and pause across hibernation (a new instance over the same sockets)", async () => {
    const { state, sockets } = fakeState();
    const source = fakeSource([]);
    const before = new LiveTail(state, source);
    const a = connect(before, sockets);
    const b = connect(before, sockets);
    before.message(a.server, JSON.stringify({ type: "filter", level: ["ERROR"] }));
    before.message(b.server, JSON.stringify({ type: "pause" }));
    // Woken from hibernation: a fresh LiveTail, only the sockets' attachments carry over.
    const after = new LiveTail(state, source);
    after.publish([{ seq: 0, line: line(0), level: "INFO" }, { seq: 1, line: line(1), level: "ERROR" }, { seq: 2, line: line(2) }]);
    await settle();
    expect(a.frames.map((f) => f.type)).toEqual(["snapshot", "ack", "event"]);
    expect(a.frames[2].seq).toBe(1);
    // Paused: no events; it was quiet since waking, so it gets a heartbeat instead.
    expect(b.frames.map((f) => f.type)).toEqual(["snapshot", "ack", "heartbeat"]);
    expect(b.frames[2]).toMatchObject({ next_seq: 0, at: expect.stringMatching(/Z$/) });
  });

  it("caps the snapshot by count and bytes, newest first kept", async () => {
    const { state, sockets } = fakeState();
    const big = "x".repeat(300 * 1024);
    const items = Array.from({ length: 10 }, (_, seq) => ({ seq, line: line(seq, big) }));
    const tail = new LiveTail(state, fakeSource(items));
    const c = connect(tail, sockets, 8);
    await settle();
    const snap = c.frames[0];
    // 1 MiB holds three 300 KiB lines: the newest three.
    expect(TAIL_REPLAY_MAX_BYTES).toBe(1024 * 1024);
    expect(snap.events.map((e: any) => e.seq)).toEqual([7, 8, 9]);
    expect(snap).toMatchObject({ type: "snapshot", next_seq: 10, oldest_seq: 0, summary: { size: 10 } });
  });

  it("replays at most TAIL_RESUME_MAX_EVENTS per resume and says there is more", async () => {
    const { state, sockets } = fakeState();
    const items = Array.from({ length: TAIL_RESUME_MAX_EVENTS + 5 }, (_, seq) => ({ seq, line: line(seq) }));
    const tail = new LiveTail(state, fakeSource(items, 3));
    const c = connect(tail, sockets, 0);
    tail.message(c.server, JSON.stringify({ type: "resume", seq: 1 }));
    await settle();
    expect(c.frames[1]).toEqual({ type: "gap", from: 1, oldest_seq: 3 });
    const events = c.frames.filter((f) => f.type === "event");
    expect(events).toHaveLength(TAIL_RESUME_MAX_EVENTS);
    expect(events[0].seq).toBe(3);
    expect(c.frames.at(-1)).toEqual({ type: "ack", of: "resume", from: 3, next_seq: 3 + TAIL_RESUME_MAX_EVENTS, more: true });
  });

  it("stops a replay at 1 MiB of lines, reading page by page", async () => {
    const { state, sockets } = fakeState();
    const big = "x".repeat(300 * 1024);
    const reads: number[] = [];
    const source = fakeSource(Array.from({ length: 40 }, (_, seq) => ({ seq, line: line(seq, big) })));
    const tail = new LiveTail(state, { ...source, lines: (from, limit) => (reads.push(limit), source.lines(from, limit)) });
    const c = connect(tail, sockets, 0);
    tail.message(c.server, JSON.stringify({ type: "resume", seq: 0 }));
    await settle();
    expect(c.frames.filter((f) => f.type === "event").map((f) => f.seq)).toEqual([0, 1, 2]);
    expect(c.frames.at(-1)).toEqual({ type: "ack", of: "resume", from: 0, next_seq: 3, more: true });
    expect(Math.max(...reads)).toBeLessThanOrEqual(16);
  });

  it(`closes connections beyond ${TAIL_MAX_SOCKETS_PER_ASSET} per asset with 1013`, async () => {
    const { state, sockets } = fakeState();
    const tail = new LiveTail(state, fakeSource([]));
    for (let i = 0; i < TAIL_MAX_SOCKETS_PER_ASSET; i++) connect(tail, sockets);
    const extra = connect(tail, sockets);
    await settle();
    expect(extra.closedWith()).toEqual({ code: 1013, reason: "Too many live tail connections to this asset; retry later." });
    expect(sockets).toHaveLength(TAIL_MAX_SOCKETS_PER_ASSET);
  });

  it("refuses an upgrade for another tenant or asset than the object holds", () => {
    const { state } = fakeState();
    const tail = new LiveTail(state, fakeSource([]));
    expect(() => tail.connect(upgrade(), () => false)).toThrow(/does not hold/);
    expect(() => tail.connect(new Request("https://x/tail", { headers: { Upgrade: "websocket" } }), () => true)).toThrow(/does not hold/);
  });
});
