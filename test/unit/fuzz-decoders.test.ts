/**
 * Property tests of the ingest decoders and the body reader: whatever bytes arrive, the
 * answer is a value or a 4xx problem, never a throw (which would be a 500). 10,000 inputs
 * per decoder; a failing case prints its seed, which then goes into REGRESSIONS below.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PROBLEM_CODES } from "../../shared/problem.ts";
import { ApiError } from "../../workers/api-error.ts";
import { gunzipText } from "../../workers/body.ts";
import { decodeFixopsTelemetry } from "../../workers/connectors/fixops-telemetry.ts";
import { decodeHttpLogs } from "../../workers/connectors/http-logs.ts";
import { decodeCloudWatch } from "../../workers/connectors/aws-cloudwatch.ts";
import { decodeHec } from "../../workers/connectors/splunk-hec.ts";
import { decodeFirehose } from "../../workers/connectors/aws-firehose.ts";
import { decodePubSub } from "../../workers/connectors/gcp-pubsub.ts";
import { decodeAzure } from "../../workers/connectors/azure.ts";
import { decodeOtlpLogs } from "../../workers/connectors/otlp-logs.ts";
import { prepare } from "../../workers/fanout.ts";

const RUNS = 10_000;
const CONTENT_TYPES = [null, "application/json", "application/x-ndjson", "text/plain", "application/xml", "application/json; charset=utf-8", "multipart/form-data"];
const ctx = { receivedAt: 1_764_000_000_000 };

/** JSON-ish text: valid documents, hostile keys and values, and broken fragments. */
const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(null, true, 1e308, -0, 2 ** 53 + 1, "", "\u0000", "\ud800", "__proto__", "constructor"),
    fc.double(), fc.string(), fc.integer(),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom("__proto__", "constructor", "asset", "ts", "timestamp", "alerts", "rule", "count", "latency_ms_p95")), tie("value"), { maxKeys: 5 }),
  ),
})).value;

const bodies = fc.oneof(
  hostileValue.map((v) => JSON.stringify(v) ?? "null"),
  fc.array(hostileValue, { maxLength: 5 }).map((vs) => vs.map((v) => JSON.stringify(v) ?? "null").join("\n")),
  fc.string({ maxLength: 200 }),
  fc.nat({ max: 200 }).map((n) => "[".repeat(n) + "]".repeat(n)),
  fc.constantFrom('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":1e400},{"timeUnixNano":-5},{"timeUnixNano":"99999999999999999999"}]}]}]}', '{"alerts":[{"rule":"r","count":1e400}],"latency_ms_p95":1}', '{"n":1e400}', '{"__proto__":{"asset":"x"}}', "{}\n{", '{"ts":"2026-13-45T99:99:99Z"}'),
);

function isClientProblem(code: string): boolean {
  const status = PROBLEM_CODES[code as keyof typeof PROBLEM_CODES]?.[0];
  return status !== undefined && status >= 400 && status < 500;
}

/** The Azure decoder's events (a validation handshake has none), in the shape of the others. */
function azureEvents(text: string, _ct: string | null, x: typeof ctx) {
  const r = decodeAzure(text, x);
  return r.ok ? { ok: true as const, value: r.value.kind === "events" ? r.value.events : [] } : r;
}

function otlpEvents(text: string, ct: string | null, x: typeof ctx) {
  const r = decodeOtlpLogs(text, ct, x);
  return r.ok ? { ok: true as const, value: r.value.events } : r;
}

describe("decoders never throw", () => {
  for (const [name, decode] of [["http logs", decodeHttpLogs], ["FixOps telemetry", decodeFixopsTelemetry], ["Azure", azureEvents], ["OTLP", otlpEvents]] as const) {
    it(`${name}: a value or a 4xx problem for ${RUNS} hostile bodies`, () => {
      fc.assert(
        fc.property(bodies, fc.constantFrom(...CONTENT_TYPES), (body, ct) => {
          const res = decode(body, ct, ctx);
          if (!res.ok) return isClientProblem(res.error.code);
          // What decodes must also canonicalise and size-check without a throw other than ApiError.
          try {
            prepare(res.value);
          } catch (e) {
            if (!(e instanceof ApiError)) throw e;
          }
          return true;
        }),
        { numRuns: RUNS },
      );
    });
  }

  it(`Splunk HEC: events or a HEC 4xx reply for ${RUNS} hostile bodies`, () => {
    fc.assert(
      fc.property(bodies, (body) => {
        const res = decodeHec(body, ctx);
        return res.ok || (res.reply.status >= 400 && res.reply.status < 500);
      }),
      { numRuns: RUNS },
    );
  });

  it(`CloudWatch: a value or a 4xx problem for ${RUNS} hostile payloads, base64 and gzip included`, () => {
    const awslogs = fc.oneof(bodies, fc.string({ maxLength: 100 }).map((d) => JSON.stringify({ awslogs: { data: d } })), fc.uint8Array({ maxLength: 100 }).map((b) => JSON.stringify({ awslogs: { data: btoa(String.fromCharCode(...b)) } })));
    fc.assert(
      fc.property(awslogs, (body) => {
        const res = decodeCloudWatch(body, "application/json", ctx);
        return res.ok || isClientProblem(res.error.code);
      }),
      { numRuns: RUNS },
    );
  });

  it(`Firehose: a value or a 4xx problem for ${RUNS} hostile deliveries`, () => {
    const record = fc.oneof(fc.string({ maxLength: 60 }), fc.uint8Array({ maxLength: 60 }).map((b) => btoa(String.fromCharCode(...b))), bodies.map((t) => btoa(unescape(encodeURIComponent(t)))));
    const delivery = fc.oneof(bodies, fc.tuple(fc.string({ maxLength: 20 }), fc.array(record, { maxLength: 4 })).map(([id, rs]) => JSON.stringify({ requestId: id, timestamp: 1764000000000, records: rs.map((data) => ({ data })) })));
    fc.assert(
      fc.property(delivery, (body) => {
        const res = decodeFirehose(body, ctx);
        return res.ok || isClientProblem(res.error.code);
      }),
      { numRuns: RUNS },
    );
  });

  it(`Pub/Sub: a value or a 4xx problem for ${RUNS} hostile pushes`, () => {
    const pushes = fc.oneof(bodies, fc.tuple(bodies, fc.string({ maxLength: 20 })).map(([t, id]) => JSON.stringify({ message: { data: btoa(unescape(encodeURIComponent(t))), messageId: id } })));
    const headers = new Headers({ "x-goog-pubsub-message-id": "m" });
    fc.assert(
      fc.property(pushes, fc.boolean(), (body, withHeaders) => {
        const res = decodePubSub(body, withHeaders ? headers : new Headers(), ctx);
        return res.ok || isClientProblem(res.error.code);
      }),
      { numRuns: RUNS },
    );
  });

  it(`gzip bodies: text or a 4xx ApiError for ${RUNS} corrupted streams`, async () => {
    const base = new Uint8Array(await new Response(new Blob(['{"a":1}\n{"b":2}\n']).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat({ max: base.length }), fc.uint8Array({ maxLength: 16 }), (flips, cut, tail) => {
        const bytes = new Uint8Array([...base.slice(0, cut), ...tail]);
        for (const [at, v] of flips) if (at < bytes.length) bytes[at] = v;
        try {
          gunzipText(bytes, 1024 * 1024);
          return true;
        } catch (e) {
          return e instanceof ApiError && isClientProblem(e.code);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe("regressions found by the properties above", () => {
  it("1e400 (parses as Infinity) is a 422, not a throw", () => {
    const res = decodeHttpLogs('{"n":1e400}', null, ctx);
    expect(res).toMatchObject({ ok: false, error: { code: "unprocessable" } });
  });
});
