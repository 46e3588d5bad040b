/** Log level normalisation (the original stays in the record): CRITICAL, ERROR, WARN, INFO, DEBUG. */
export const LEVELS = ["CRITICAL", "ERROR", "WARN", "INFO", "DEBUG"] as const;
export type Level = (typeof LEVELS)[number];

const ALIASES: Record<string, Level> = {
  critical: "CRITICAL", crit: "CRITICAL", fatal: "CRITICAL", emergency: "CRITICAL", emerg: "CRITICAL", alert: "CRITICAL", panic: "CRITICAL",
  error: "ERROR", err: "ERROR",
  warn: "WARN", warning: "WARN",
  info: "INFO", notice: "INFO", information: "INFO", informational: "INFO",
  debug: "DEBUG", trace: "DEBUG", verbose: "DEBUG",
};

/** The normalised level of a source's level string, or undefined when it is not one we know. */
export function normalizeLevel(raw: unknown): Level | undefined {
  if (typeof raw !== "string" || raw.length > 32) return undefined;
  return Object.hasOwn(ALIASES, raw.trim().toLowerCase()) ? ALIASES[raw.trim().toLowerCase()] : undefined;
}
