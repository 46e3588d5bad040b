/** Live tail protocol: client message decoding, the filter, and frames that embed stored lines. */
import { describe, expect, it } from "vitest";
import { decodeClientMessage, eventFrame, matches, snapshotFrame } from "../../durable-objects/asset-log/tail-protocol.ts";

describe("decodeClientMessage", () => {
  it("normalises filters: levels case-insensitive, ordered, de-duplicated; text lower-cased; empty clears", () => {
    expect(decodeClientMessage('{"type":"filter","level":["warn","ERROR","warn"],"text":"Boom"}')).toEqual({
      ok: true, value: { type: "filter", levels: ["ERROR", "WARN"], text: "boom" },
    });
    expect(decodeClientMessage('{"type":"filter","level":"error","text":""}')).toEqual({ ok: true, value: { type: "filter", levels: ["ERROR"], text: null } });
    expect(decodeClientMessage('{"type":"filter"}')).toEqual({ ok: true, value: { type: "filter", levels: null, text: null } });
  });

  it("rejects what it does not understand, with a pointer", () => {
    const cases: [string, string][] = [
      ["nope", "message is not JSON"],
      ["[]", "message must be a JSON object"],
      ['{"type":"subscribe"}', '/type must be one of "filter", "resume", "pause", "resume_live", "ping"'],
      ['{"type":"filter","level":[]}', "/level must be one level or a non-empty list of CRITICAL, ERROR, WARN, INFO, DEBUG"],
      ['{"type":"filter","level":[3]}', "/level/0 must be one of CRITICAL, ERROR, WARN, INFO, DEBUG"],
      ['{"type":"filter","text":5}', "/text must be a string"],
      [`{"type":"filter","text":"${"a".repeat(257)}"}`, "/text must be at most 256 characters"],
      ['{"type":"resume","seq":1.5}', "/seq must be a non-negative integer"],
      ['{"type":"resume"}', "/seq must be a non-negative integer"],
    ];
    for (const [text, detail] of cases) expect(decodeClientMessage(text), text).toEqual({ ok: false, error: detail });
  });
});

describe("matches", () => {
  const item = { seq: 1, line: '{"record":{"message":"Disk FULL"}}', level: "ERROR" };
  const lower = () => item.line.toLowerCase();
  it("applies level and text together; an unknown level never passes a level filter", () => {
    expect(matches({ levels: null, text: null }, item, lower)).toBe(true);
    expect(matches({ levels: ["ERROR"], text: "disk full" }, item, lower)).toBe(true);
    expect(matches({ levels: ["WARN"], text: null }, item, lower)).toBe(false);
    expect(matches({ levels: null, text: "cpu" }, item, lower)).toBe(false);
    expect(matches({ levels: ["ERROR"], text: null }, { seq: 2, line: "{}" }, () => "{}")).toBe(false);
  });
});

describe("frames", () => {
  it("embed stored lines verbatim and parse back", () => {
    const line = '{"asset":"a","record":{"m":"é\\"x"},"seq":4}';
    expect(JSON.parse(eventFrame({ seq: 4, line }))).toEqual({ type: "event", seq: 4, event: JSON.parse(line) });
    expect(JSON.parse(snapshotFrame([{ seq: 4, line }], 5, 0, { size: 1 }))).toEqual({
      type: "snapshot", events: [JSON.parse(line)], next_seq: 5, oldest_seq: 0, summary: { size: 1 },
    });
  });
});
