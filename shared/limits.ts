/** Every bound and default of the bridge, in one place, each with its unit. */

/** Largest request body accepted on the wire (compressed size when gzip). */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;
/** Largest body after inflating a gzip request (gzip-bomb bound). */
export const MAX_DECOMPRESSED_BYTES = 50 * 1024 * 1024;
/** Records per ingest request. */
export const MAX_RECORDS_PER_REQUEST = 10_000;
/** One record, measured as its canonical (JCS) JSON in UTF-8. */
export const MAX_RECORD_BYTES = 256 * 1024;
/** One NDJSON line before parsing. */
export const MAX_NDJSON_LINE_BYTES = 1024 * 1024;
/** Distinct assets one request may write to (each is a Durable Object call, a subrequest). */
export const MAX_ASSETS_PER_REQUEST = 100;
/** Nesting depth of any JSON value we accept. */
export const MAX_JSON_DEPTH = 64;
/** Asset ids: 1..128 chars of [A-Za-z0-9._:/@-]. */
export const MAX_ASSET_ID_LENGTH = 128;

/** Ring buffer defaults (overridable in wrangler vars and per tenant). */
export const DEFAULT_RING_MAX_LINES = 200_000;
export const DEFAULT_RING_MAX_SECONDS = 21_600;
/** Upper bounds a tenant may configure. */
export const MAX_RING_MAX_LINES = 10_000_000;
export const MAX_RING_MAX_SECONDS = 30 * 24 * 3600;

/** Evidence window default, seconds (the original collector's default). */
export const DEFAULT_EVIDENCE_SINCE_SECONDS = 3600;

/** One stored chunk row holds at most this many bytes of JSONL (DO SQLite rows cap at 2 MB). */
export const CHUNK_MAX_BYTES = 1024 * 1024;
/** Chunks read per SQL page while building a bundle. */
export const BUNDLE_READ_PAGE_CHUNKS = 8;
/** R2 multipart part size for bundles larger than one part (R2 needs equal parts >= 5 MiB). */
export const EVIDENCE_PART_BYTES = 8 * 1024 * 1024;
/** One AssetLog.append RPC carries at most this many bytes of records (RPC messages cap at 32 MiB). */
export const APPEND_SLICE_MAX_BYTES = 8 * 1024 * 1024;
/** Parallel AssetLog calls per request. */
export const FANOUT_CONCURRENCY = 8;
/** Ring-buffer trimming deletes at most this many chunk rows per alarm (then re-arms in 1 s). */
export const TRIM_BATCH_CHUNKS = 5_000;

/** Positive auth results are cached per isolate for this long; revocation is effective within it. */
export const AUTH_CACHE_TTL_MS = 30_000;
/** Failed authentications are remembered per isolate for this long. */
export const AUTH_MISS_TTL_MS = 10_000;
/** Auth cache entries per isolate (each of the positive and negative caches). */
export const AUTH_CACHE_MAX_ENTRIES = 1_000;
/** JWT issuer settings and key sets are cached per isolate this long (config changes apply within it). */
export const JWT_CONFIG_TTL_MS = 60_000;
/** Directory look-ups per second per isolate for JWT issuers not yet cached. */
export const JWT_LOOKUPS_PER_SECOND = 50;
/** Leeway for JWT exp/nbf, seconds. */
export const JWT_CLOCK_TOLERANCE_SECONDS = 30;
/** Requests kept per tenant in the request log. */
export const REQUEST_LOG_ROWS = 1_000;
/** An isolate sends its buffered request records when it holds this many, or the oldest is this old. */
export const REQUEST_LOG_FLUSH_RECORDS = 50;
export const REQUEST_LOG_FLUSH_MS = 1_000;
/** An asset reports its activity to the tenant's index at most this often. */
export const ASSET_INDEX_INTERVAL_MS = 30_000;
/** Per-asset ingest cap: the bucket holds this many seconds of the configured rate. */
export const ASSET_BURST_SECONDS = 10;
/** Tenant and key quotas count in fixed windows of this length. */
export const QUOTA_WINDOW_MS = 60_000;
/** An isolate leases quota from the tenant's object in slices of this fraction of the limit. */
export const QUOTA_LEASE_FRACTION = 0.02;
/** Retry-After seconds when a Durable Object is overloaded or unavailable. */
export const RETRY_AFTER_SECONDS = 2;
/** Physical ring-buffer trimming runs at most this often while ingest continues. */
export const TRIM_INTERVAL_MS = 30_000;

/** Latency digests keep exact values up to this many per digest, then only the sketch. */
export const LATENCY_EXACT_MAX = 256;
/** Relative error bound of the latency sketch. */
export const LATENCY_RELATIVE_ERROR = 0.01;
/** Pattern alert rules look at most at this many characters of a message. */
export const ALERT_PATTERN_INPUT_MAX = 4096;
/** Longest regular expression an alert rule may hold. */
export const ALERT_PATTERN_MAX = 256;
/** Windowed alert rules (count, burst, error_rate) may require at most this many events (each keeps that many times). */
export const ALERT_MAX_MIN_COUNT = 1_000;
/** A burst rule tracks at most this many distinct keys per asset (least recently seen go first). */
export const ALERT_BURST_MAX_KEYS = 10_000;
/** Buckets an error_rate ratio window is divided into (its time resolution is window / this). */
export const ALERT_RATIO_BUCKETS = 60;
/** Burst keys are compared on at most this many characters. */
export const ALERT_KEY_MAX = 256;
/** Alert records kept per asset (oldest closed ones go first). */
export const ALERTS_KEPT = 10_000;
/** Summary windows span at most this many minutes of rollups. */
export const SUMMARY_MAX_MINUTES = 31 * 24 * 60;
/** Forwarding: attempts per payload before it goes to the DLQ, and backoff bounds. */
export const FORWARD_MAX_ATTEMPTS = 6;
export const FORWARD_BACKOFF_BASE_MS = 5_000;
export const FORWARD_BACKOFF_MAX_MS = 600_000;
/** Forwarding: a FixOps POST is abandoned (and retried) after this long. */
export const FORWARD_TIMEOUT_MS = 10_000;
/** Forwarding: dead letters kept per asset (oldest dropped, counted). */
export const FORWARD_DLQ_MAX = 1_000;
/** Cooldown of an alert rule that names none: a rule fires again for the same key after this long. */
export const DEFAULT_ALERT_COOLDOWN_SECONDS = 300;

/** Enrichment: address fields one tenant config may name for look-ups. */
export const MAX_ENRICHMENT_IP_FIELDS = 16;
/** Enrichment: indicator lists per tenant, entries (CIDRs or addresses) per list, labels per entry. */
export const MAX_INDICATOR_LISTS = 20;
export const MAX_INDICATORS_PER_LIST = 50_000;
export const MAX_INDICATOR_LABELS = 8;
/** Enrichment: ranges in a tenant's ASN table. */
export const MAX_ASN_RANGES = 100_000;
/** Enrichment: all of a tenant's encoded range tables together, bytes (one RPC message and one isolate's cache share). */
export const MAX_RANGE_TABLES_BYTES = 16 * 1024 * 1024;
/** Enrichment: an encoded table is stored in rows of at most this many bytes (DO SQLite rows cap at 2 MB). */
export const RANGE_TABLE_PART_BYTES = 1024 * 1024;
/** Enrichment: an isolate asks the tenant's object whether its tables changed at most this often. */
export const ENRICHMENT_TABLES_CHECK_MS = 5_000;
/** Enrichment: decoded tables one isolate keeps, all tenants together, bytes (least recently used go first). */
export const ENRICHMENT_CACHE_MAX_BYTES = 32 * 1024 * 1024;
/** Redaction: selectors per key list, custom patterns per profile, and a custom pattern's length. */
export const MAX_REDACTION_KEYS = 100;
export const MAX_REDACTION_CUSTOM_PATTERNS = 16;
export const MAX_REDACTION_PATTERN_CHARS = 256;
/** Redaction: bounds of max_string_length, UTF-16 code units. */
export const MIN_REDACTION_STRING_CHARS = 16;
export const MAX_REDACTION_STRING_CHARS = 256 * 1024;
/** Redaction: distinct counter reasons a tenant keeps (more are counted as "other"). */
export const MAX_REDACTION_REASONS = 64;
/** Redaction: an isolate sends its counters to the tenant's object at most this long after the first. */
export const REDACTION_COUNTS_FLUSH_MS = 1_000;
/** Network ingest: refused records listed one by one in a 207 or 422 answer (its counts include them all). */
export const MAX_REPORTED_RECORD_ERRORS = 100;

/** GET /metrics: per-isolate series keep at most this many tenants (later ones share one "_other" bucket). */
export const METRICS_MAX_TENANTS_PER_ISOLATE = 1_000;
/** GET /metrics with a tenant key: asset series for at most this many assets (in id order). */
export const METRICS_TENANT_ASSETS = 1_000;
/** GET /metrics with the operator token: the first this many tenants (in id order) ... */
export const METRICS_OPERATOR_TENANTS = 100;
/** ... and at most this many assets of each (a scrape stays at about 10,000 assets). */
export const METRICS_OPERATOR_ASSETS_PER_TENANT = 100;
/** Parallel Tenant calls while gathering the operator's asset series. */
export const METRICS_FETCH_CONCURRENCY = 8;
/** Alert rules per asset in reported metrics, and the longest rule name (both become label values). */
export const METRICS_MAX_ALERT_RULES = 100;
export const METRICS_MAX_RULE_NAME_LENGTH = 128;

/** Live tail: WebSockets one asset's object holds at once (more are closed with 1013). */
export const TAIL_MAX_SOCKETS_PER_ASSET = 100;
/** Live tail: stored lines in the snapshot frame by default, and at most (`?snapshot=`). */
export const TAIL_SNAPSHOT_DEFAULT_EVENTS = 50;
export const TAIL_SNAPSHOT_MAX_EVENTS = 500;
/** Live tail: stored-line bytes one snapshot frame, or one resume replay, carries at most. */
export const TAIL_REPLAY_MAX_BYTES = 1024 * 1024;
/** Live tail: stored lines one `resume` replays at most (then the client asks again). */
export const TAIL_RESUME_MAX_EVENTS = 1_000;
/** Live tail: a connection gets at most this many live event frames per second; excess is dropped and reported. */
export const TAIL_EVENT_FRAMES_PER_SECOND = 200;
/** Live tail: client messages per second per connection; more count as invalid. */
export const TAIL_CLIENT_MESSAGES_PER_SECOND = 20;
/** Live tail: one client message (larger closes the connection with 1009). */
export const TAIL_MAX_CLIENT_MESSAGE_BYTES = 4 * 1024;
/** Live tail: the invalid client message that closes a connection with 1008 (the earlier ones get error frames). */
export const TAIL_MAX_INVALID_MESSAGES = 5;
/** Live tail: the `text` filter's length, characters. */
export const TAIL_FILTER_TEXT_MAX_CHARS = 256;
/** Live tail: a connection that has received no frame for this long gets a heartbeat at the next activity. */
export const TAIL_HEARTBEAT_MS = 30_000;
/** Live tail: lifetime of a `?token=` tail token (it only opens a connection). */
export const TAIL_TOKEN_TTL_MS = 60_000;
/** Evidence uploads that failed are retried after this long, doubling, up to the max. */
export const UPLOAD_RETRY_BASE_MS = 30_000;
export const UPLOAD_RETRY_MAX_MS = 3_600_000;
/**
 * A bundle is recorded, signed, before its upload: if the object dies mid-upload, the alarm retries
 * it after this long (longer than an upload takes, so a retry does not race a live one).
 */
export const UPLOAD_INTERRUPTED_RETRY_MS = 15 * 60_000;
/** A bundle still not uploaded after this long is marked failed and its range unpinned. */
export const UPLOAD_PENDING_MAX_MS = 3 * 86_400_000;
/**
 * Lines kept past the ring for a failing store (pending uploads, raw spill) are let go early once
 * the asset's database exceeds this (a Durable Object's SQLite holds at most 10 GB).
 */
export const HELD_DATABASE_MAX_BYTES = 4 * 1024 ** 3;
/** Pending evidence uploads retried per alarm run. */
export const UPLOADS_PER_ALARM = 5;
/** Raw spill: a segment holds at most this much JSONL (whole chunks, at least one) ... */
export const RAW_SEGMENT_MAX_BYTES = 4 * 1024 * 1024;
/** ... and an alarm run writes at most this many segments before re-arming in a second. */
export const RAW_SEGMENTS_PER_RUN = 16;

/**
 * Retention pass (hourly cron, or POST /v1/admin/retention/run): per run, across all tenants, at
 * most this many store list calls (pages of up to 1,000 keys) ...
 */
export const RETENTION_MAX_LIST_PAGES_PER_RUN = 200;
/** ... this many objects deleted (keys) ... */
export const RETENTION_MAX_DELETES_PER_RUN = 50_000;
/** ... this many delete requests (R2 and S3 take up to 1,000 keys per request, Azure Blob one) ... */
export const RETENTION_MAX_DELETE_REQUESTS_PER_RUN = 2_000;
/** ... this many AssetLog rollup-retention calls ... */
export const RETENTION_MAX_ASSETS_PER_RUN = 1_000;
/** ... and this many tenants begun. Then the run stops; the next one continues from where it stopped. */
export const RETENTION_MAX_TENANTS_PER_RUN = 250;
/** Keys one delete request of R2 (binding) and S3 (DeleteObjects) takes. */
export const STORE_DELETE_BATCH_KEYS = 1_000;
/** Parallel AssetLog calls of the retention pass. */
export const RETENTION_ASSET_CONCURRENCY = 8;
/** Tenants per directory page, and assets per tenant index page, read by the retention pass. */
export const RETENTION_PAGE_ENTRIES = 100;
/** A retention run holds the pass (the cron and operator runs never overlap) this long past its last checkpoint. */
export const RETENTION_LEASE_MS = 15 * 60_000;
/** Failures listed one by one in a run's report (its counts include them all). */
export const RETENTION_MAX_REPORTED_ERRORS = 50;
/** An Idempotency-Key's first answer is replayed for this long. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** Answers longer than this are not recorded for replay (ingest answers are a few KiB at most). */
export const IDEMPOTENCY_MAX_BODY_BYTES = 64 * 1024;
/** Exports: an asset's object batches new events for export at most this long after they are stored ... */
export const EXPORT_DELAY_MS = 5_000;
/** ... builds at most this many batches per destination per alarm run ... */
export const EXPORT_BATCHES_PER_RUN = 10;
/** ... and stops building while this many batches of a destination wait to be sent (it is down). */
export const EXPORT_MAX_QUEUED_BATCHES = 20;
/** Exports: a batch holds at most this many bytes of events (whole events; at least one). */
export const EXPORT_BATCH_MAX_BYTES = 1024 * 1024;
