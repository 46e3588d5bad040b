/** OpenAPI metadata of the ingest routes (docs/ingest.md, docs/connectors.md). */
import { anyObject, arr, obj, ref, str } from "./schema.ts";
import { INGEST_PROBLEMS, json, type Op, type Param } from "./operation.ts";

const ASSET_PARAMS: Param[] = [
  { name: "asset", in: "query", description: "Asset for records that name none (a record's own asset field wins)." },
  { name: "X-Asset-Id", in: "header", description: "Same as ?asset=." },
  { name: "Idempotency-Key", in: "header", description: "Makes a retried request store nothing twice (1-200 visible ASCII)." },
  { name: "Content-Encoding", in: "header", description: "gzip (multi-member allowed; 50 MiB inflated at most)." },
];
const BATCH = { "200": json(ref("BatchAccepted"), "Every event stored."), "207": json(ref("PartialResult"), "Some assets stored, others did not.") };
const JSON_TYPES = ["application/json"];

const telemetry: Op = {
  summary: "Ingest a FixOps ops-telemetry summary", tag: "ingest", auth: "ingest", docs: "docs/ingest.md", params: ASSET_PARAMS,
  body: { schema: ref("OpsTelemetry"), types: JSON_TYPES, required: true },
  responses: { "200": json(ref("TelemetryAccepted"), "Stored."), "207": json(ref("PartialResult"), "Not stored everywhere.") },
  problems: INGEST_PROBLEMS,
};

export const INGEST_OPS: Record<string, Op> = {
  "POST /v1/telemetry": telemetry,
  "POST /telemetry": { ...telemetry, summary: "Ingest a FixOps ops-telemetry summary (the original collector's path)" },
  "POST /v1/logs": {
    summary: "Ingest log records: a JSON object, a JSON array, or NDJSON", tag: "ingest", auth: "ingest", docs: "docs/ingest.md", params: ASSET_PARAMS,
    description: "Fluent Bit json/json_lines and Vector ndjson bodies work as sent. At most 10,000 records, 256 KiB each.",
    body: { schema: ref("LogRecords"), types: ["application/json", "application/x-ndjson"], required: true },
    responses: BATCH, problems: INGEST_PROBLEMS,
  },
  "GET /v1/logs": {
    summary: "Health check for log shippers: HEAD answers 200; GET answers 405 (POST to ingest)", tag: "ingest", auth: "public",
    responses: { "200": { description: "HEAD only." } }, problems: ["method_not_allowed"],
  },
  "POST /v1/ingest/aws/cloudwatch": {
    summary: "Ingest a CloudWatch Logs subscription payload from a forwarder", tag: "ingest", auth: "ingest", docs: "docs/connectors.md", params: ASSET_PARAMS,
    body: { schema: obj({ awslogs: obj({ data: str("base64(gzip(CloudWatch Logs JSON))") }) }), types: JSON_TYPES, required: true },
    responses: { "200": json(ref("BatchAccepted"), "Every event stored.") }, problems: INGEST_PROBLEMS,
  },
  "POST /v1/ingest/aws/firehose": {
    summary: "Kinesis Data Firehose HTTP endpoint delivery", tag: "ingest", auth: "firehose", docs: "docs/connectors.md", nativeErrors: true,
    description: "Answers in Firehose's shape: 200 only when every record is stored; errors carry errorMessage.",
    params: [{ name: "X-Amz-Firehose-Request-Id", in: "header", description: "Redelivery identity with the stream's ARN." }, ASSET_PARAMS[0]!],
    body: { schema: obj({ requestId: str(), timestamp: { type: "integer" }, records: arr(obj({ data: str("base64") })) }), types: JSON_TYPES, required: true },
    responses: {
      "200": json(ref("FirehoseReply"), "Every record stored."), "400": json(ref("FirehoseReply"), "Malformed delivery."), "401": json(ref("FirehoseReply"), "No or bad access key."),
      "403": json(ref("FirehoseReply"), "Key lacks ingest."), "413": json(ref("FirehoseReply"), "Too large (Firehose gives up at once)."),
      "429": json(ref("FirehoseReply"), "Over quota; retried."), "503": json(ref("FirehoseReply"), "Not stored yet; retried."),
    },
  },
  "POST /v1/ingest/gcp/pubsub": {
    summary: "Pub/Sub push subscription (wrapped or unwrapped; Cloud Logging entries)", tag: "ingest", auth: "push_ingest", docs: "docs/connectors.md", params: ASSET_PARAMS,
    body: { schema: anyObject("Pub/Sub push message"), types: JSON_TYPES, required: true },
    responses: { "200": json(ref("PubSubAccepted"), "Stored; Pub/Sub acks.") }, problems: INGEST_PROBLEMS,
  },
  "POST /v1/ingest/azure/eventhub": {
    summary: "Azure diagnostic records, Event Grid or CloudEvents deliveries (with validation handshakes)", tag: "ingest", auth: "push_ingest", docs: "docs/connectors.md", params: ASSET_PARAMS,
    body: { schema: anyObject('{"records":[…]}, arrays of them, Event Grid events or CloudEvents'), types: ["application/json", "application/cloudevents+json", "application/cloudevents-batch+json"], required: true },
    responses: { "200": json({ oneOf: [ref("BatchAccepted"), obj({ validationResponse: str() })] }, "Stored, or the Event Grid validation answer.") }, problems: INGEST_PROBLEMS,
  },
  "OPTIONS /v1/ingest/azure/eventhub": {
    summary: "CloudEvents webhook validation handshake", tag: "ingest", auth: "push_ingest", docs: "docs/connectors.md",
    params: [{ name: "WebHook-Request-Origin", in: "header", description: "The origin asking to deliver.", required: true }],
    responses: { "200": { description: "Allowed: WebHook-Allowed-Origin echoes the origin.", headers: { "WebHook-Allowed-Origin": "the origin", "WebHook-Allowed-Rate": "*" } } },
    problems: ["invalid_parameter"],
  },
  "POST /v1/otlp/v1/logs": {
    summary: "OTLP/HTTP JSON logs", tag: "ingest", auth: "ingest", docs: "docs/connectors.md", params: ASSET_PARAMS,
    body: { schema: anyObject("ExportLogsServiceRequest (JSON encoding)"), types: JSON_TYPES, required: true },
    responses: { "200": json({ oneOf: [obj({}), ref("OtlpReply")] }, "{} or partialSuccess with the rejected count.") }, problems: INGEST_PROBLEMS,
  },
  ...Object.fromEntries(["/services/collector/event", "/services/collector/event/1.0", "/services/collector"].map((path): [string, Op] => [`POST ${path}`, {
    summary: "Splunk HTTP Event Collector events", tag: "ingest", auth: "splunk", docs: "docs/connectors.md", nativeErrors: true,
    description: "Authorization: Splunk <key>. Answers in HEC's {text, code} shape, errors included.", params: ASSET_PARAMS,
    body: { schema: anyObject("HEC events, concatenated or NDJSON"), types: ["application/json"], required: true },
    responses: {
      "200": json(ref("HecReply"), "Success (code 0)."), "400": json(ref("HecReply"), "Invalid data format."), "401": json(ref("HecReply"), "Token missing."),
      "403": json(ref("HecReply"), "Invalid token."), "413": json(ref("HecReply"), "Too large."), "503": json(ref("HecReply"), "Server busy; retry."),
    },
  }])),
};
