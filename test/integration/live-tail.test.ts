/** Live tail: `GET /v1/assets/{asset}/tail` over WebSocket, as a client sees it through the Worker. */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { toBase64Url } from "../../shared/hex.ts";
import { app } from "../../workers/app.ts";
import { call, createKey, env, expectProblem, post, secretOf, tenantWithKey } from "../fixtures/bridge.ts";

type Frame = Record<string, any>;

/** One client connection: frames queued as they arrive, awaited one at a time. */
class TailClient {
  readonly frames: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #queue: string[] = [];
  #waiting: ((f: string) => void) | undefined;

  readonly ws: WebSocket;

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.addEventListener("message", (e) => {
      const text = typeof e.data === "string" ? e.data : "<binary>";
      this.frames.push(text);
      if (this.#waiting) {
        const w = this.#waiting;
        this.#waiting = undefined;
        w(text);
      } else {
        this.#queue.push(text);
      }
    });
    this.closed = new Promise((resolve) => ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })));
    ws.accept();
  }

  /** The next frame, parsed (fails the test after `ms`). */
  async next(ms = 5_000): Promise<Frame> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return JSON.parse(queued);
    const text = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no frame within " + ms + " ms")), ms);
      this.#waiting = (f) => {
        clearTimeout(timer);
        resolve(f);
      };
    });
    return JSON.parse(text);
  }

  send(message: unknown): void {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  close(): void {
    this.ws.close(1000, "done");
  }
}

async function open(path: string, headers: Record<string, string> = {}): Promise<TailClient> {
  const res = await call(path, { headers: { Upgrade: "websocket", ...headers } });
  expect(res.status).toBe(101);
  expect(res.webSocket).toBeTruthy();
  return new TailClient(res.webSocket!);
}

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

async function log(key: string, asset: string, ...records: Record<string, unknown>[]): Promise<void> {
  const res = await post(`/v1/logs?asset=${asset}`, key, records.map((r) => JSON.stringify(r)).join("\n"), { "Content-Type": "application/x-ndjson" });
  expect(res.status, await res.clone().text()).toBe(200);
}

async function token(key: string, asset: string): Promise<{ token: string; expires_at: string }> {
  const res = await post(`/v1/assets/${asset}/tail/token`, key, "");
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get("cache-control")).toBe("no-store");
  return res.json();
}

/** A frame that proves every earlier frame has arrived: a ping the object answers itself. */
async function drained(tail: TailClient): Promise<void> {
  tail.send('{ "type": "ping" }');
  expect(await tail.next()).toEqual({ type: "pong" });
}

afterEach(() => {
  vi.useRealTimers();
});

describe("live tail", () => {
  it("sends a snapshot of the newest stored lines, then each new event live", async () => {
    const key = await tenantWithKey("tail-live");
    await log(key, "web", { message: "one" }, { message: "two" }, { message: "three" });
    const tail = await open("/v1/assets/web/tail?snapshot=2", bearer(key));
    const snap = await tail.next();
    expect(snap.type).toBe("snapshot");
    expect(snap.events.map((e: Frame) => [e.seq, e.record.message])).toEqual([[1, "two"], [2, "three"]]);
    expect(snap.next_seq).toBe(3);
    expect(snap.summary).toMatchObject({ next_seq: 3 });

    await log(key, "web", { message: "four" });
    const ev = await tail.next();
    expect(ev).toMatchObject({ type: "event", seq: 3, event: { seq: 3, asset: "web", source: "http", record: { message: "four" } } });
    // The default snapshot is the last 50.
    const again = await open("/v1/assets/web/tail", bearer(key));
    expect((await again.next()).events.map((e: Frame) => e.seq)).toEqual([0, 1, 2, 3]);
    tail.close();
    again.close();
  });

  it("filters by text (case-insensitive) on the server: a non-matching event is not delivered, a matching one is", async () => {
    const key = await tenantWithKey("tail-text");
    const tail = await open("/v1/assets/a/tail", { "X-API-Key": key });
    expect((await tail.next()).events).toEqual([]);
    tail.send({ type: "filter", text: "BOOM" });
    expect(await tail.next()).toEqual({ type: "ack", of: "filter", level: null, text: "boom" });
    await log(key, "a", { message: "all calm" });
    await log(key, "a", { message: "it went Boom" });
    expect(await tail.next()).toMatchObject({ type: "event", seq: 1, event: { record: { message: "it went Boom" } } });
    // Clearing the filter lets everything through again.
    tail.send({ type: "filter" });
    expect(await tail.next()).toMatchObject({ type: "ack", of: "filter", level: null, text: null });
    await log(key, "a", { message: "calm again" });
    expect(await tail.next()).toMatchObject({ type: "event", seq: 2 });
    tail.close();
  });

  it("a level filter validates levels and never matches an event whose level is unknown to the tail", async () => {
    const key = await tenantWithKey("tail-level");
    const tail = await open("/v1/assets/a/tail", bearer(key));
    await tail.next();
    tail.send({ type: "filter", level: ["ERROR", "loud"] });
    expect(await tail.next()).toEqual({ type: "error", detail: "/level/1 must be one of CRITICAL, ERROR, WARN, INFO, DEBUG" });
    tail.send({ type: "filter", level: ["warn", "ERROR"], text: "x".repeat(257) });
    expect((await tail.next()).detail).toBe("/text must be at most 256 characters");
    tail.send({ type: "filter", level: ["warn", "ERROR"] });
    expect(await tail.next()).toEqual({ type: "ack", of: "filter", level: ["ERROR", "WARN"], text: null });
    await log(key, "a", { message: "chatty", level: "debug" });
    await drained(tail);
    tail.close();
  });

  it("filters live and replayed events by their normalised level, and the snapshot carries the last hour's summary", async () => {
    const key = await tenantWithKey("tail-levels");
    await log(key, "a", { message: "one", level: "error" }, { message: "two", level: "info" }, { message: "three", severity: "warning" });
    const tail = await open("/v1/assets/a/tail?snapshot=0", bearer(key));
    const snap = await tail.next();
    expect(snap.summary).toMatchObject({ next_seq: 3, last_hour: { events: 3, levels: { ERROR: 1, INFO: 1, WARN: 1 } } });
    tail.send({ type: "filter", level: ["ERROR", "WARN"] });
    expect(await tail.next()).toMatchObject({ type: "ack", of: "filter" });
    tail.send({ type: "resume", seq: 0 });
    const f1 = await tail.next();
    expect(f1.event.record.message).toBe("one");
    expect((await tail.next()).event.record.message).toBe("three");
    expect(await tail.next()).toMatchObject({ type: "ack", of: "resume" });
    await log(key, "a", { message: "four", level: "debug" }, { message: "five", level: "err" });
    expect(await tail.next()).toMatchObject({ type: "event", seq: 4, event: { record: { message: "five" } } });
    tail.close();
  });

  it("resume replays exactly the missed events, then continues live; a gap is reported when they were evicted", async () => {
    const key = await tenantWithKey("tail-resume", { ring_buffer: { max_lines: 4 } });
    const first = await open("/v1/assets/a/tail?snapshot=0", bearer(key));
    expect(await first.next()).toMatchObject({ type: "snapshot", events: [], next_seq: 0 });
    await log(key, "a", { n: 0 }, { n: 1 });
    expect((await first.next()).seq).toBe(0);
    expect((await first.next()).seq).toBe(1);
    first.close();
    expect(await first.closed).toEqual({ code: 1000, reason: "done" });

    await log(key, "a", { n: 2 });
    await log(key, "a", { n: 3 });
    const second = await open("/v1/assets/a/tail?snapshot=0", bearer(key));
    expect(await second.next()).toMatchObject({ type: "snapshot", next_seq: 4 });
    second.send({ type: "resume", seq: 2 });
    expect((await second.next()).event.record).toEqual({ n: 2 });
    expect((await second.next()).event.record).toEqual({ n: 3 });
    expect(await second.next()).toEqual({ type: "ack", of: "resume", from: 2, next_seq: 4, more: false });
    await log(key, "a", { n: 4 });
    expect(await second.next()).toMatchObject({ type: "event", seq: 4 });

    // max_lines 4: seq 0 is gone, so resuming from it says so before replaying what is left.
    await new Promise((r) => setTimeout(r, 1_000));
    second.send({ type: "resume", seq: 0 });
    expect(await second.next()).toEqual({ type: "gap", from: 0, oldest_seq: 1 });
    const replayed = [(await second.next()).seq, (await second.next()).seq, (await second.next()).seq, (await second.next()).seq];
    expect(replayed).toEqual([1, 2, 3, 4]);
    expect(await second.next()).toEqual({ type: "ack", of: "resume", from: 1, next_seq: 5, more: false });
    second.send({ type: "resume", seq: 9 });
    expect((await second.next()).type).toBe("error");
    second.close();
  });

  it("pause stops live events until resume_live; ping gets pong without waking the object", async () => {
    const key = await tenantWithKey("tail-pause");
    const tail = await open("/v1/assets/a/tail", bearer(key));
    await tail.next();
    tail.send('{"type":"ping"}');
    expect(await tail.next()).toEqual({ type: "pong" });
    tail.send({ type: "pause" });
    expect(await tail.next()).toEqual({ type: "ack", of: "pause", next_seq: 0 });
    await log(key, "a", { message: "while paused" });
    await drained(tail);
    tail.send({ type: "resume_live" });
    expect(await tail.next()).toEqual({ type: "ack", of: "resume_live", next_seq: 1 });
    await log(key, "a", { message: "live again" });
    expect(await tail.next()).toMatchObject({ type: "event", seq: 1 });
    tail.close();
  });

  it("bounds each connection to 200 event frames a second and reports the rest in a lagged frame", async () => {
    const key = await tenantWithKey("tail-rate");
    const tail = await open("/v1/assets/a/tail", bearer(key));
    await tail.next();
    await log(key, "a", ...Array.from({ length: 250 }, (_, n) => ({ n })));
    for (let seq = 0; seq < 200; seq++) expect((await tail.next()).seq).toBe(seq);
    // Reported once the one-second window is over, even with no further events.
    expect(await tail.next(3_000)).toEqual({ type: "lagged", dropped: 50, from_seq: 200, to_seq: 249 });
    await log(key, "a", { n: 250 });
    expect(await tail.next()).toMatchObject({ type: "event", seq: 250 });
    tail.close();
  });

  it("answers invalid messages with error frames and closes after repeated abuse (1008) or an oversized message (1009)", async () => {
    const key = await tenantWithKey("tail-abuse");
    const tail = await open("/v1/assets/a/tail", bearer(key));
    await tail.next();
    tail.send("not json");
    expect(await tail.next()).toEqual({ type: "error", detail: "message is not JSON" });
    tail.send({ type: "subscribe" });
    expect((await tail.next()).type).toBe("error");
    tail.send({ type: "resume", seq: -1 });
    expect(await tail.next()).toEqual({ type: "error", detail: "/seq must be a non-negative integer" });
    tail.send([1]);
    await tail.next();
    tail.send({ type: "filter", level: [] });
    expect(await tail.closed).toEqual({ code: 1008, reason: "Too many invalid messages." });

    const big = await open("/v1/assets/a/tail", bearer(key));
    await big.next();
    big.send({ type: "filter", text: "x".repeat(5000) });
    expect((await big.closed).code).toBe(1009);
  });

  it("never puts the API key in a frame", async () => {
    const key = await tenantWithKey("tail-secret");
    const tail = await open("/v1/assets/a/tail", bearer(key));
    await log(key, "a", { message: "hello" });
    tail.send({ type: "resume", seq: 0 });
    // snapshot, live event, replayed event, resume ack
    for (let i = 0; i < 4; i++) await tail.next();
    await drained(tail);
    expect(tail.frames).toHaveLength(5);
    for (const f of tail.frames) {
      expect(f).not.toContain(key);
      expect(f).not.toContain(secretOf(key));
    }
    tail.close();
  });
});

describe("live tail authentication", () => {
  const expectRefused = async (path: string, headers: Record<string, string>, reason: RegExp) => {
    const tail = await open(path, headers);
    const closed = await tail.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(reason);
    expect(tail.frames).toEqual([]);
  };

  it("closes with 1008 for a missing or bad key, a key without read, and refuses a non-upgrade GET with 426", async () => {
    const key = await tenantWithKey("tail-auth");
    await log(key, "a", { message: "secret of tail-auth" });
    await expectRefused("/v1/assets/a/tail", {}, /read key/);
    await expectRefused("/v1/assets/a/tail", bearer(key.slice(0, -2) + "xx"), /not valid/);
    await expectRefused("/v1/assets/a/tail", bearer("tb_nobody_k1_abcdef"), /not valid/);
    const ingestOnly = await createKey("tail-auth", ["ingest"]);
    await expectRefused("/v1/assets/a/tail", bearer(ingestOnly), /read/);
    await expectRefused("/v1/assets/bad%20asset/tail", bearer(key), /Asset ids/);
    await expectRefused("/v1/assets/a/tail?snapshot=501", bearer(key), /snapshot/);
    await expectProblem(await call("/v1/assets/a/tail", { headers: bearer(key) }), 426);
  });

  it("another tenant's key reaches only that tenant's asset of the same name", async () => {
    const keyA = await tenantWithKey("tail-iso-a");
    const keyB = await tenantWithKey("tail-iso-b");
    await log(keyA, "shared-name", { message: "only for A" });
    const tailB = await open("/v1/assets/shared-name/tail", bearer(keyB));
    expect(await tailB.next()).toMatchObject({ type: "snapshot", events: [], next_seq: 0 });
    await log(keyA, "shared-name", { message: "also only for A" });
    await drained(tailB);
    expect(tailB.frames.join("")).not.toContain("only for A");
    tailB.close();
  });

  it("a token from POST .../tail/token opens the tail of that asset only, within 60 s, and cannot be forged", async () => {
    const key = await tenantWithKey("tail-token");
    await log(key, "a", { message: "hello" });
    const t = await token(key, "a");
    expect(Date.parse(t.expires_at) - Date.now()).toBeGreaterThan(55_000);
    expect(Date.parse(t.expires_at) - Date.now()).toBeLessThanOrEqual(60_000);
    expect(t.token).not.toContain(secretOf(key));

    const tail = await open(`/v1/assets/a/tail?token=${encodeURIComponent(t.token)}`);
    expect((await tail.next()).events.map((e: Frame) => e.record.message)).toEqual(["hello"]);
    tail.close();

    await expectRefused(`/v1/assets/b/tail?token=${t.token}`, {}, /another asset/);
    await expectRefused(`/v1/assets/a/tail?token=${t.token}`, bearer(key), /not both/);
    // A payload naming another tenant, with the original MAC, does not verify.
    const [, , mac] = t.token.split(".");
    const forged = `tt1.${toBase64Url(new TextEncoder().encode(JSON.stringify({ a: "a", exp: Date.now() + 60_000, k: "k1", t: "tail-other" })))}.${mac}`;
    await expectRefused(`/v1/assets/a/tail?token=${forged}`, {}, /not valid/);
    await expectRefused(`/v1/assets/a/tail?token=${t.token.slice(0, -3)}abc`, {}, /not valid/);
    await expectRefused(`/v1/assets/a/tail?token=${key}`, {}, /not valid/);

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.parse(t.expires_at) + 1);
    await expectRefused(`/v1/assets/a/tail?token=${t.token}`, {}, /expired/);
  });

  it("tokens need a read key, and answer 503 when the deployment has no secret to sign them", async () => {
    const key = await tenantWithKey("tail-token-503");
    const ingestOnly = await createKey("tail-token-503", ["ingest"]);
    await expectProblem(await post("/v1/assets/a/tail/token", ingestOnly, ""), 403);
    await expectProblem(await post("/v1/assets/bad%20id/tail/token", key, ""), 400);

    const ctx = createExecutionContext();
    const bare = { ...env, ADMIN_TOKEN: undefined, TAIL_TOKEN_SECRET: undefined };
    const res = await app.fetch(new Request("http://bridge.test/v1/assets/a/tail/token", { method: "POST", headers: bearer(key) }), bare, ctx);
    await waitOnExecutionContext(ctx);
    const body = await expectProblem(res, 503);
    expect(body.detail).toMatch(/TAIL_TOKEN_SECRET/);
  });
});
