/**
 * Property tests of every connector decoder (a new file in workers/connectors fails until it is
 * added here) and of the body reader: whatever arrives, the answer
 * is a value or a 4xx problem (HEC: a HEC 4xx reply), never a throw (which would be a 500), and
 * nothing leaks onto Object.prototype. What decodes also canonicalises and size-checks with at
 * most a 4xx. Inputs: hostile values, mutations of each source's real samples, deep nesting,
 * huge numbers and strings, `__proto__` and duplicate keys, NUL bytes, lone surrogates, inside
 * the source's own transport (base64, gzip) where it has one. Runs per decoder: FUZZ_RUNS
 * (10,000 in `npm run test:soak`), 1,000 in CI. A failing case prints its seed and path; its
 * input goes into the regressions below.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PROBLEM_CODES } from "../../shared/problem.ts";
import { ApiError } from "../../workers/api-error.ts";
import { gunzipText, readBodyText } from "../../workers/body.ts";
import { decodeFixopsTelemetry } from "../../workers/connectors/fixops-telemetry.ts";
import { decodeHttpLogs } from "../../workers/connectors/http-logs.ts";
import { decodeCloudWatch } from "../../workers/connectors/aws-cloudwatch.ts";
import { decodeHec } from "../../workers/connectors/splunk-hec.ts";
import { decodeFirehose } from "../../workers/connectors/aws-firehose.ts";
import { decodePubSub } from "../../workers/connectors/gcp-pubsub.ts";
import { decodeAzure } from "../../workers/connectors/azure.ts";
import { decodeOtlpLogs } from "../../workers/connectors/otlp-logs.ts";
import { parseJson, parseNdjson } from "../../workers/connectors/json-text.ts";
import { decodeNetflow } from "../../workers/connectors/netflow.ts";
import { decodeZeekConn } from "../../workers/connectors/zeek.ts";
import { prepare } from "../../workers/fanout.ts";
import { isValidAssetId, type TelemetryEvent } from "../../shared/events.ts";
import { b64, CONTENT_TYPES, gzip, hostileBody, hostileText } from "../fixtures/hostile.ts";
import { fuzzRuns, scaledTimeout } from "../support/soak.ts";
import cwLambda from "../fixtures/samples/aws-cloudwatch-lambda-event.json?raw";
import cwSubscription from "../fixtures/samples/aws-cloudwatch-subscription.decoded.json?raw";
import cwControl from "../fixtures/samples/aws-cloudwatch-control-message.decoded.json?raw";
import firehoseSample from "../fixtures/samples/aws-firehose-request.json?raw";
import azureDiagnostic from "../fixtures/samples/azure-diagnostic-records.json?raw";
import azureValidation from "../fixtures/samples/azure-eventgrid-validation.json?raw";
import fixopsSample from "../fixtures/samples/fixops-telemetry.json?raw";
import fluentbit from "../fixtures/samples/fluentbit-http-json.json?raw";
import loggingEntry from "../fixtures/samples/gcp-cloud-logging-entry.json?raw";
import pubsubWrapped from "../fixtures/samples/gcp-pubsub-push-wrapped.json?raw";
import otlpSample from "../fixtures/samples/otlp-logs.json?raw";
import hecSample from "../fixtures/samples/splunk-hec-events.txt?raw";
import vector from "../fixtures/samples/vector-http-ndjson.ndjson?raw";
import goflow2 from "../fixtures/samples/goflow2-flows.ndjson?raw";
import logstashNetflow from "../fixtures/samples/logstash-netflow-v9.json?raw";
import pmacct from "../fixtures/samples/pmacct-flows.ndjson?raw";
import zeekConn from "../fixtures/samples/zeek-conn.ndjson?raw";

/** Every connector module; each must be fuzzed below (network-records is the flow and Zeek decoders' shared part). */
const CONNECTOR_FILES = Object.keys(import.meta.glob("../../workers/connectors/*.ts")).map((f) => f.split("/").pop()!);
const FUZZED_FILES = ["http-logs.ts", "fixops-telemetry.ts", "aws-cloudwatch.ts", "aws-firehose.ts", "gcp-pubsub.ts", "azure.ts", "otlp-logs.ts", "splunk-hec.ts", "json-text.ts", "netflow.ts", "zeek.ts", "network-records.ts"];

const RUNS = fuzzRuns(1_000);
const TIMEOUT = scaledTimeout(RUNS, 2);
const ctx = { receivedAt: 1_764_000_000_000 };
const enc = new TextEncoder();

function isClientProblem(code: string): boolean {
  const status = PROBLEM_CODES[code as keyof typeof PROBLEM_CODES]?.[0];
  return status !== undefined && status >= 400 && status < 500;
}

/** Nothing a decoder did may have added to Object.prototype (prototype pollution). */
function prototypeClean(): boolean {
  return Object.getOwnPropertyNames(Object.prototype).every((k) => OBJECT_PROTO_KEYS.has(k)) && ({} as { polluted?: unknown }).polluted === undefined;
}
const OBJECT_PROTO_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Decoded events are well-formed, and canonicalise with at most a 4xx ApiError. */
function eventsSound(events: TelemetryEvent[]): boolean {
  for (const ev of events) {
    if (!isValidAssetId(ev.asset) || !Number.isFinite(ev.ts) || typeof ev.record !== "object" || ev.record === null) return false;
  }
  try {
    prepare(events);
  } catch (e) {
    if (!(e instanceof ApiError) || !isClientProblem(e.code)) throw e;
  }
  return true;
}

type Outcome = { ok: true; events: TelemetryEvent[] } | { ok: false; clientError: boolean };
const fromDecoded = <T>(r: { ok: true; value: T } | { ok: false; error: { code: string } }, events: (v: T) => TelemetryEvent[]): Outcome =>
  r.ok ? { ok: true, events: events(r.value) } : { ok: false, clientError: isClientProblem(r.error.code) };

/** Wrap hostile text in a source's own transport, so it reaches the inner decoder too. */
const withTransport = (text: fc.Arbitrary<string>, wrap: (t: string, variant: number) => string) =>
  fc.oneof(text, fc.tuple(text, fc.nat({ max: 3 })).map(([t, v]) => wrap(t, v)));

const awslogs = (t: string, v: number) => JSON.stringify({ awslogs: { data: v === 0 ? b64(enc.encode(t)) : b64(gzip(enc.encode(t))) } });
const firehose = (t: string, v: number) => JSON.stringify({
  requestId: "r", timestamp: 1764000000000, records: [{ data: v % 2 ? b64(gzip(enc.encode(t))) : b64(enc.encode(t)) }, ...(v > 1 ? [{ data: "!!" }] : [])],
});
const pubsub = (t: string, v: number) => JSON.stringify({ message: { data: b64(enc.encode(t)), messageId: String(v), ...(v > 1 ? { attributes: { a: t.slice(0, 10) } } : {}) }, subscription: "projects/p/subscriptions/s" });

const DECODERS: [string, fc.Arbitrary<string>, (text: string, ct: string | null) => Outcome][] = [
  ["http logs", hostileText([fluentbit, vector]), (t, ct) => fromDecoded(decodeHttpLogs(t, ct, ctx), (v) => v)],
  ["FixOps telemetry", hostileText([fixopsSample]), (t, ct) => fromDecoded(decodeFixopsTelemetry(t, ct, ctx), (v) => v)],
  ["CloudWatch", fc.oneof(withTransport(hostileText([cwSubscription, cwControl]), awslogs), hostileText([cwLambda])), (t, ct) => fromDecoded(decodeCloudWatch(t, ct, ctx), (v) => v)],
  ["Firehose", fc.oneof(withTransport(hostileText([cwSubscription, fluentbit, vector]), firehose), hostileText([firehoseSample])), (t) => fromDecoded(decodeFirehose(t, ctx), (v) => v.events)],
  ["Pub/Sub", fc.oneof(withTransport(hostileText([loggingEntry]), pubsub), hostileText([pubsubWrapped])), (t, ct) => fromDecoded(decodePubSub(t, new Headers(ct ? { "x-goog-pubsub-message-id": "m", "content-type": ct } : {}), ctx), (v) => v.events)],
  ["Azure", hostileText([azureDiagnostic, azureValidation]), (t) => fromDecoded(decodeAzure(t, ctx), (v) => (v.kind === "events" ? v.events : []))],
  ["OTLP", hostileText([otlpSample]), (t, ct) => fromDecoded(decodeOtlpLogs(t, ct, ctx), (v) => v.events)],
  ["Splunk HEC", hostileText([hecSample]), (t) => {
    const r = decodeHec(t, ctx);
    return r.ok ? { ok: true, events: r.value } : { ok: false, clientError: r.reply.status >= 400 && r.reply.status < 500 };
  }],
  ["NetFlow/IPFIX JSON", hostileText([goflow2, logstashNetflow, pmacct]), (t, ct) => fromDecoded(decodeNetflow(t, ct, ctx), (v) => v.events)],
  ["Zeek conn", hostileText([zeekConn]), (t, ct) => fromDecoded(decodeZeekConn(t, ct, ctx), (v) => v.events)],
  ["JSON and NDJSON text", hostileText([fluentbit, vector, otlpSample]), (t, ct) => {
    const r = ct === "application/x-ndjson" ? parseNdjson(t) : parseJson(t);
    return r.ok ? { ok: true, events: [] } : { ok: false, clientError: isClientProblem(r.error.code) };
  }],
];

describe("decoders never throw", () => {
  it("covers every connector module", () => {
    expect(CONNECTOR_FILES.filter((f) => !FUZZED_FILES.includes(f)), "connectors missing from this fuzz suite").toEqual([]);
  });

  for (const [name, bodies, decode] of DECODERS) {
    it(`${name}: a value or a 4xx for ${RUNS} hostile bodies`, () => {
      fc.assert(
        fc.property(bodies, fc.constantFrom(...CONTENT_TYPES), (body, ct) => {
          const res = decode(body, ct);
          if (!prototypeClean()) return false;
          return res.ok ? eventsSound(res.events) : res.clientError;
        }),
        { numRuns: RUNS },
      );
    }, TIMEOUT);
  }
});

describe("the body reader", () => {
  const cap = 64 * 1024;
  // Inflates to 1 MiB of zeros from about 1 KiB: a 1,000:1 bomb against a 64 KiB cap.
  const bomb = gzip(new Uint8Array(1024 * 1024));

  it(`gunzip: text or a 4xx ApiError for ${RUNS} corrupted, truncated, multi-member and bomb streams`, () => {
    fc.assert(
      fc.property(hostileBody(hostileText([fluentbit]), bomb), (body) => {
        const bytes = body.encoding ? body.bytes : gzip(body.bytes);
        try {
          const text = gunzipText(bytes, cap);
          return text.length <= cap;
        } catch (e) {
          return e instanceof ApiError && isClientProblem(e.code);
        }
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it(`readBodyText: text or a 4xx ApiError for ${RUNS} hostile bodies and Content-Encodings`, async () => {
    await fc.assert(
      fc.asyncProperty(hostileBody(hostileText([vector])), async (body) => {
        const req = new Request("http://x/", { method: "POST", body: body.bytes, headers: body.encoding === null ? {} : { "Content-Encoding": body.encoding } });
        try {
          await readBodyText(req);
          return true;
        } catch (e) {
          return e instanceof ApiError && isClientProblem(e.code);
        }
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it("stops a bomb at the cap without inflating it whole", () => {
    // 32 gzip members of 1 MiB of zeros each: 32 MiB from about 33 KiB.
    const member = gzip(new Uint8Array(1024 * 1024));
    const huge = new Uint8Array(member.length * 32);
    for (let i = 0; i < 32; i++) huge.set(member, i * member.length);
    const timed = (limit: number) => {
      const t0 = performance.now();
      try {
        gunzipText(huge, limit);
      } catch (e) {
        expect(e).toMatchObject({ code: "payload_too_large" });
      }
      return performance.now() - t0;
    };
    const whole = timed(256 * 1024 * 1024);
    // Past the cap only the current 4 KiB input slice (at most ~4 MiB of output) is inflated.
    expect(timed(cap)).toBeLessThan(whole / 5);
  });
});

describe("regressions found by the properties above", () => {
  it("1e400 (parses as Infinity) is a 422, not a throw", () => {
    const res = decodeHttpLogs('{"n":1e400}', null, ctx);
    expect(res).toMatchObject({ ok: false, error: { code: "unprocessable" } });
  });
});
