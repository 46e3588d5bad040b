/**
 * AssetLog schema: append-only migrations.
 *
 * Events are stored in chunks, one row per appended batch (split at CHUNK_MAX_BYTES),
 * because DO SQLite bills per row written and read: a 1,000-event batch costs one row,
 * not 1,000. Every line of a chunk shares its receive time (`rts`), and `seq` ranges
 * are contiguous, so the ring buffer's bounds are computed from chunk rows alone.
 * No secondary index (each would be billed as another row): rts never decreases with seq,
 * so the age bound is a binary search on the primary key.
 * `frontier` is the Merkle compact range of the log *before* the chunk's first line,
 * so a bundle can start at any seq still stored (hash from the chunk start to it).
 * `meta` is WITHOUT ROWID: a TEXT primary key on a rowid table is a second b-tree, and
 * every upsert was measured as two rows written.
 */
export const ASSET_LOG_MIGRATIONS = [
  `CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;
   CREATE TABLE chunks (
     first_seq INTEGER PRIMARY KEY,
     end_seq INTEGER NOT NULL,
     rts INTEGER NOT NULL,
     bytes INTEGER NOT NULL,
     frontier BLOB NOT NULL,
     lines TEXT NOT NULL
   );
   CREATE TABLE bundles (
     id TEXT PRIMARY KEY,
     created_at INTEGER NOT NULL,
     first_seq INTEGER NOT NULL,
     end_seq INTEGER NOT NULL,
     since_seconds INTEGER NOT NULL,
     prefix TEXT NOT NULL,
     gz_sha256 TEXT NOT NULL,
     gz_bytes INTEGER NOT NULL,
     jsonl_sha256 TEXT NOT NULL,
     jsonl_bytes INTEGER NOT NULL,
     statement_sha256 TEXT NOT NULL,
     kid TEXT NOT NULL,
     root_after TEXT NOT NULL
   );
   CREATE INDEX bundles_range ON bundles (first_seq, end_seq);`,
  // Redelivery de-duplication by batch: the first chunk of a batch sent with a dedupe key keeps
  // the key and the batch's end. A partial index, so chunks without a key write no index row;
  // trimming a chunk forgets its key with it (redeliveries are dropped within the ring window).
  `ALTER TABLE chunks ADD COLUMN dedupe_key TEXT;
   ALTER TABLE chunks ADD COLUMN batch_end INTEGER;
   CREATE INDEX chunks_dedupe ON chunks (dedupe_key) WHERE dedupe_key IS NOT NULL;`,
  // Aggregates and alerts (docs/alerts.md, docs/forwarding.md): one rollup row per minute;
  // alert rule state per (rule, key); alert records; the FixOps forwarding outbox and its DLQ.
  // `levels` holds one character per line of a chunk (C E W I D, "-" for none), so the live
  // tail can filter stored lines by level without parsing them.
  `CREATE TABLE rollups (minute INTEGER PRIMARY KEY, data TEXT NOT NULL);
   CREATE TABLE alert_state (rule TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (rule, key)) WITHOUT ROWID;
   CREATE TABLE alerts (
     id TEXT PRIMARY KEY,
     rule TEXT NOT NULL,
     type TEXT NOT NULL,
     severity TEXT NOT NULL,
     key TEXT,
     status TEXT NOT NULL,
     seq INTEGER NOT NULL,
     event_ts INTEGER NOT NULL,
     value REAL,
     opened_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     repeats INTEGER NOT NULL,
     actor TEXT,
     note TEXT,
     muted_until INTEGER
   );
   CREATE TABLE outbox (
     id TEXT PRIMARY KEY,
     payload TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     next_at INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     last_error TEXT
   ) WITHOUT ROWID;
   CREATE TABLE dlq (
     id TEXT PRIMARY KEY,
     payload TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     failed_at INTEGER NOT NULL,
     last_error TEXT
   );
   ALTER TABLE chunks ADD COLUMN levels TEXT;`,
  // Alert webhooks share the outbox and DLQ with FixOps payloads; `target` says where a row goes.
  `ALTER TABLE outbox ADD COLUMN target TEXT NOT NULL DEFAULT 'fixops';
   ALTER TABLE dlq ADD COLUMN target TEXT NOT NULL DEFAULT 'fixops';`,
  // Bundles whose upload failed stay recorded as pending and are retried by the alarm: the row
  // keeps the signed statement and metadata (re-uploaded byte for byte) and the store config
  // (names of secrets, never values); pending ranges stay pinned against trimming. Where each
  // bundle went is kept per row, so a tenant changing stores does not rewrite history.
  `ALTER TABLE bundles ADD COLUMN provider TEXT;
   ALTER TABLE bundles ADD COLUMN bucket TEXT;
   ALTER TABLE bundles ADD COLUMN records_url TEXT;
   ALTER TABLE bundles ADD COLUMN upload_status TEXT NOT NULL DEFAULT 'stored';
   ALTER TABLE bundles ADD COLUMN upload_attempts INTEGER NOT NULL DEFAULT 1;
   ALTER TABLE bundles ADD COLUMN upload_next_at INTEGER;
   ALTER TABLE bundles ADD COLUMN upload_error TEXT;
   ALTER TABLE bundles ADD COLUMN pending_statement TEXT;
   ALTER TABLE bundles ADD COLUMN pending_metadata TEXT;
   ALTER TABLE bundles ADD COLUMN store_config TEXT;
   CREATE INDEX bundles_pending ON bundles (upload_next_at) WHERE upload_status = 'pending';`,
  // A batch's rollup (its delta) rides in its first chunk row; the minute's row is written once
  // per minute, not per append (rollups.ts).
  `ALTER TABLE chunks ADD COLUMN rollup TEXT;`,
] as const;
