/**
 * Hostile input on the wire, against a real `wrangler dev` (workerd's own HTTP parser):
 * request smuggling through mismatched framing (Content-Length with Transfer-Encoding, duplicate,
 * negative or wrong lengths, obfuscated Transfer-Encoding, NUL in headers) never runs the
 * request hidden in the body, answers 4xx and stores nothing; and workerd's memory stays bounded
 * under repeated floods of gzip bombs and maximum-size bodies (two equal phases: the second
 * peaks no higher than the first, so nothing accumulates per request).
 * Flood size: 8 clients x 4 requests per phase in CI, x 25 in `npm run test:soak`.
 */
import { execFileSync } from "node:child_process";
import { connect } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSoak } from "../support/soak.ts";
import { startBridge, tenantKey, type Bridge } from "./wrangler-dev.ts";

let bridge: Bridge;
let key: string;

beforeAll(async () => {
  bridge = await startBridge();
  key = await tenantKey(bridge, "wire");
});
afterAll(async () => bridge?.stop());

/** Write raw bytes on a fresh connection; everything read until the server closes it (or `ms`). */
function raw(data: string, ms = 2_500): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = "";
    const port = Number(new URL(bridge.url).port);
    const socket = connect(port, "127.0.0.1", () => socket.write(data, "latin1"));
    socket.on("data", (d) => (text += d.toString("latin1")));
    socket.on("error", () => undefined);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, ms);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
  });
}

const statuses = (text: string) => [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));

async function storedMarkers(): Promise<string[]> {
  const ev = (await (await fetch(`${bridge.url}/evidence?since=0&asset=wire`, { headers: { Authorization: `Bearer ${key}` } })).json()) as { bundle?: { id: string } };
  if (!ev.bundle) return [];
  const gz = await fetch(`${bridge.url}/v1/bundles/${ev.bundle.id}/records.jsonl.gz`, { headers: { Authorization: `Bearer ${key}` } });
  const text = await new Response((await gz.blob()).stream().pipeThrough(new DecompressionStream("gzip"))).text();
  return text.trim().split("\n").map((l) => (JSON.parse(l) as { record: { eid?: string } }).record.eid ?? "-");
}

describe("request smuggling", () => {
  const head = (extra: string) => `POST /v1/logs?asset=wire HTTP/1.1\r\nHost: bridge\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\n${extra}\r\n`;
  /** A complete, valid, authenticated ingest request: if it runs, its marker is stored. */
  const hidden = (marker: string) => {
    const body = JSON.stringify({ eid: marker });
    return `POST /v1/logs?asset=wire HTTP/1.1\r\nHost: bridge\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  };

  it("refuses ambiguous framing with 400 and closes the connection: the hidden request never runs", async () => {
    const cases: Record<string, string> = {
      "CL.TE": head("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n" + hidden("cl-te"),
      "TE.CL": head("Transfer-Encoding: chunked\r\nContent-Length: 4\r\n") + "5c\r\n" + "x".repeat(92) + "\r\n0\r\n\r\n" + hidden("te-cl"),
      "two Content-Lengths": head("Content-Length: 13\r\nContent-Length: 0\r\n") + '{"eid":"dup"}' + hidden("dup-cl"),
      "Transfer-Encoding with a space": head("Transfer-Encoding : chunked\r\nContent-Length: 5\r\n") + "0\r\n\r\n" + hidden("te-space"),
      "unknown Transfer-Encoding": head("Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n") + "0\r\n\r\n" + hidden("te-x"),
      "negative Content-Length": head("Content-Length: -1\r\n") + '{"eid":"neg"}' + hidden("neg-cl"),
      "NUL in a header": head("X-Bad: a\u0000b\r\nContent-Length: 2\r\n") + "{}" + hidden("nul"),
    };
    for (const [what, data] of Object.entries(cases)) {
      const { text, closed } = await raw(data);
      expect(statuses(text), what).toEqual([400]);
      expect(closed, what).toBe(true);
    }
    expect(await storedMarkers()).toEqual([]);
  });

  it("takes exactly Content-Length bytes: a shorter length leaves garbage that is refused, a longer one waits", async () => {
    const short = await raw(head("Content-Length: 2\r\n") + "{}" + '{"eid":"tail"}\r\n\r\n' + hidden("after-short"));
    // The declared two bytes are a request (200); the rest is not HTTP: refused, or the connection dropped.
    const [first, ...rest] = statuses(short.text);
    expect(first).toBe(200);
    for (const s of rest) expect(s).toBe(400);
    expect(short.closed).toBe(true);
    const long = await raw(head("Content-Length: 100\r\n") + '{"eid":"long"}', 1_500);
    expect(long.text).toBe("");
    // Only the two declared bytes of the first request were stored.
    expect(await storedMarkers()).toEqual(["-"]);
  });

  it("answers a mislabelled Content-Encoding with 4xx and stores nothing", async () => {
    const gz = gzipSync(Buffer.from('{"eid":"gz"}')).toString("latin1");
    for (const [what, extra, body] of [
      ["gzip label, plain body", "Content-Encoding: gzip\r\n", '{"eid":"label"}'],
      ["gzip body, no label", "", gz],
      ["double gzip label", "Content-Encoding: gzip, gzip\r\n", gz],
      ["br", "Content-Encoding: br\r\n", '{"eid":"br"}'],
    ] as const) {
      const { text } = await raw(head(`${extra}Content-Length: ${Buffer.byteLength(body, "latin1")}\r\nConnection: close\r\n`) + body);
      const [status] = statuses(text);
      expect([400, 415], what).toContain(status);
    }
    expect(await storedMarkers()).toEqual(["-"]);
  });
});

/** Resident memory of the wrangler process group's workerd processes, bytes. */
function workerdRss(): number {
  return execFileSync("ps", ["-eo", "pgid=,rss=,comm="]).toString().trim().split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter(([pgid, , comm]) => Number(pgid) === bridge.pid && comm === "workerd")
    .reduce((n, [, kib]) => n + Number(kib) * 1024, 0);
}

describe("memory under hostile floods", () => {
  it("stays bounded: a second, equal flood of bombs and maximum-size bodies peaks no higher than the first", async () => {
    const perClient = isSoak() ? 25 : 4;
    // 51 gzip members of 1 MiB of zeros: past the 50 MiB inflate cap from 52 KiB on the wire.
    const bomb = Buffer.concat(Array<Buffer>(51).fill(gzipSync(Buffer.alloc(1024 * 1024))));
    const big = Buffer.from(Array.from({ length: 9_000 }, (_, i) => JSON.stringify({ i, m: "y".repeat(500) })).join("\n"));
    const bodies: [Buffer, Record<string, string>][] = [[bomb, { "Content-Encoding": "gzip" }], [big, {}], [Buffer.from("[".repeat(2_000_000)), {}], [gzipSync(big), { "Content-Encoding": "gzip" }]];
    const flood = async () => {
      let peak = workerdRss();
      const sampler = setInterval(() => (peak = Math.max(peak, workerdRss())), 100);
      const seen: number[] = [];
      await Promise.all(Array.from({ length: 8 }, async (_, c) => {
        for (let i = 0; i < perClient; i++) {
          const [body, headers] = bodies[(c + i) % bodies.length]!;
          const res = await fetch(`${bridge.url}/v1/logs?asset=m${c}`, { method: "POST", headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/x-ndjson", ...headers }, body: new Uint8Array(body) });
          await res.arrayBuffer();
          // A saturated object may shed load: 503, but only with Retry-After.
          seen.push(res.status === 503 && !res.headers.get("retry-after") ? 599 : res.status);
        }
      }));
      clearInterval(sampler);
      return { peak, seen };
    };
    const base = workerdRss();
    const first = await flood();
    const second = await flood();
    for (const s of [...first.seen, ...second.seen]) expect([200, 413, 503]).toContain(s);
    const mib = (b: number) => Math.round(b / 2 ** 20);
    console.log(JSON.stringify({ memory: { requests: first.seen.length + second.seen.length, shed_503: [...first.seen, ...second.seen].filter((s) => s === 503).length, base_mib: mib(base), first_peak_mib: mib(first.peak), second_peak_mib: mib(second.peak) } }));
    expect(second.peak).toBeLessThan(first.peak * 1.25 + 64 * 2 ** 20);
    expect(second.peak).toBeLessThan(2 * 2 ** 30);
    // Still answering.
    expect((await fetch(`${bridge.url}/health`)).status).toBe(200);
  }, 600_000);
});
