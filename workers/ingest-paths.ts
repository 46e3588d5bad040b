/** The ingest routes' paths: where Idempotency-Key answers are recorded (a test checks the list against the mounted routes). */
export const INGEST_PATHS = [
  "/v1/telemetry", "/telemetry", "/v1/logs",
  "/v1/ingest/aws/cloudwatch", "/v1/ingest/aws/firehose", "/v1/ingest/gcp/pubsub", "/v1/ingest/azure/eventhub",
  "/v1/otlp/v1/logs", "/v1/ingest/flows", "/v1/ingest/zeek",
  "/services/collector/event", "/services/collector/event/1.0", "/services/collector",
] as const;
