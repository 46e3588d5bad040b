/**
 * How old a stored object is, for retention: the time its key carries (evidence bundles: the
 * bundle's creation; raw segments: their last line's receive time), else its `uploaded` time.
 * Pure: no clock, no bindings.
 */
import type { StoredObject } from "../../shared/storage/evidence-store.ts";

/** Objects the pass judges by key: evidence bundle files and raw spill segments. */
export type StoreClass = "evidence" | "raw";

const SECOND_MS = 1000;
/** `.../evidence-<yyyymmdd-hhmmss>-<sha256(gz)[0:8]>/<file>` (docs/evidence.md, Layout). */
const BUNDLE_FILE_RE = /^(.*\/evidence-(\d{8}-\d{6})-[0-9a-f]{8}\/)[^/]+$/;
/** `.../raw-<first rts>-<last rts>-<first_seq>-<end_seq>.jsonl.gz`, times `yyyymmdd-hhmmss`. */
const RAW_SEGMENT_RE = /\/raw-\d{8}-\d{6}-(\d{8}-\d{6})-\d+-\d+\.jsonl\.gz$/;
const STAMP_RE = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/;

/** `yyyymmdd-hhmmss` (UTC) as epoch ms, or null when it is no real time (month 13, Feb 30...). */
export function parseStamp(stamp: string): number | null {
  const m = STAMP_RE.exec(stamp);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const t = new Date(ms);
  const same = t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d
    && t.getUTCHours() === h && t.getUTCMinutes() === mi && t.getUTCSeconds() === s;
  return same ? ms : null;
}

/** The time the key carries (the start of its second), or null when it carries none. */
export function keyTime(cls: StoreClass, key: string): number | null {
  const stamp = cls === "evidence" ? BUNDLE_FILE_RE.exec(key)?.[2] : RAW_SEGMENT_RE.exec(key)?.[1];
  return stamp === undefined ? null : parseStamp(stamp);
}

/** What is deleted together: a bundle's folder (its three files), else the object alone. */
export function deletionGroup(cls: StoreClass, key: string): string {
  if (cls === "evidence") {
    const m = BUNDLE_FILE_RE.exec(key);
    if (m && parseStamp(m[2]!) !== null) return m[1]!;
  }
  return key;
}

/**
 * Past retention at `cutoffMs` (now - days): never anything younger. A key's time is truncated to
 * the second, so the object may be up to 999 ms younger than it says: only a whole second
 * before the cutoff counts. Without a time in the key, the store's `uploaded` time decides.
 */
export function isExpired(cls: StoreClass, obj: StoredObject, cutoffMs: number): boolean {
  const t = keyTime(cls, obj.key);
  return t !== null ? t + SECOND_MS <= cutoffMs : obj.uploaded.getTime() < cutoffMs;
}
