/**
 * Append-only schema migrations for Durable Object SQLite (PRAGMA user_version
 * is not allowed there, so the version lives in a table).
 */
export function migrate(sql: SqlStorage, migrations: readonly string[]): void {
  sql.exec("CREATE TABLE IF NOT EXISTS _schema (version INTEGER NOT NULL)");
  const row = sql.exec<{ version: number }>("SELECT version FROM _schema").toArray()[0];
  let version = row?.version ?? 0;
  if (!row) sql.exec("INSERT INTO _schema (version) VALUES (0)");
  for (; version < migrations.length; version++) {
    sql.exec(migrations[version]!);
    sql.exec("UPDATE _schema SET version = ?", version + 1);
  }
}

/** Whether this database was ever migrated: objects that were only read stay without storage. */
export function hasSchema(sql: SqlStorage): boolean {
  return sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_schema'").toArray().length > 0;
}
