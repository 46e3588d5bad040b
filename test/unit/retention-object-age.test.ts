/** Retention's age rules and per-run budget: pure, no bindings. */
import { describe, expect, it } from "vitest";
import { bundleId, bundlePrefix } from "../../shared/evidence/bundle-layout.ts";
import { RetentionBudget, deleteRequests, DEFAULT_RETENTION_BOUNDS } from "../../workers/retention/budget.ts";
import { deletionGroup, isExpired, keyTime, parseStamp } from "../../workers/retention/object-age.ts";

const T = Date.UTC(2027, 2, 1, 12, 0, 0);
const DAY = 86_400_000;
const bundleKey = (ms: number, file = "records.jsonl.gz") => `${bundlePrefix("acme", "web/1", ms, bundleId(ms, "0123abcd99"))}${file}`;
const obj = (key: string, uploaded = T) => ({ key, size: 1, uploaded: new Date(uploaded) });

describe("object age", () => {
  it("parses yyyymmdd-hhmmss as UTC and refuses times that do not exist", () => {
    expect(parseStamp("20270301-120000")).toBe(T);
    expect(parseStamp("20270229-000000")).toBeNull();
    expect(parseStamp("20271301-000000")).toBeNull();
    expect(parseStamp("20270301-246000")).toBeNull();
    expect(parseStamp("2027031-120000")).toBeNull();
  });

  it("reads the bundle's creation time from every file of the bundle, and groups them by folder", () => {
    for (const f of ["records.jsonl.gz", "statement.dsse.json", "metadata.json"]) {
      expect(keyTime("evidence", bundleKey(T + 999, f))).toBe(T);
      expect(deletionGroup("evidence", bundleKey(T, f))).toBe(bundleKey(T, ""));
    }
    expect(bundleKey(T)).toContain("/web%2F1/2027/03/01/evidence-20270301-120000-0123abcd/");
    expect(keyTime("evidence", "evidence/acme/legacy.bin")).toBeNull();
    expect(deletionGroup("evidence", "evidence/acme/legacy.bin")).toBe("evidence/acme/legacy.bin");
  });

  it("reads a raw segment's LAST receive time", () => {
    const key = "raw/acme/web-1/2027/02/20/raw-20270220-230000-20270301-115959-0-500.jsonl.gz";
    expect(keyTime("raw", key)).toBe(T - 1000);
    expect(keyTime("raw", "raw/acme/web-1/2027/02/20/raw-20270220-230000-0-500.jsonl.gz")).toBeNull();
    expect(keyTime("raw", bundleKey(T))).toBeNull();
  });

  it("expires only what is wholly older than the cutoff: a key's second must end by it", () => {
    // Now is 365 days after the bundle: the cutoff (now - 365 days) is the bundle's own second.
    const now = T + 365 * DAY;
    const cutoff = now - 365 * DAY;
    expect(isExpired("evidence", obj(bundleKey(T)), cutoff)).toBe(false);
    expect(isExpired("evidence", obj(bundleKey(T)), cutoff + 999)).toBe(false);
    expect(isExpired("evidence", obj(bundleKey(T)), cutoff + 1000)).toBe(true);
    // The key decides, whatever the store says about the upload.
    expect(isExpired("evidence", obj(bundleKey(T), 0), cutoff)).toBe(false);
  });

  it("falls back to the uploaded time for keys without one", () => {
    expect(isExpired("raw", obj("raw/acme/x/odd-name.gz", T - 1), T)).toBe(true);
    expect(isExpired("raw", obj("raw/acme/x/odd-name.gz", T), T)).toBe(false);
  });
});

describe("retention budget", () => {
  const group = (k: string) => k.slice(0, k.lastIndexOf("/") + 1);
  const bundle = (n: number) => ["a", "b", "c"].map((f) => `evidence/t/b${n}/${f}`);

  it("deletes whole bundles, overshooting the key bound rather than splitting one", () => {
    const budget = new RetentionBudget({ ...DEFAULT_RETENTION_BOUNDS, deletions: 4 });
    const expired = [...bundle(1), ...bundle(2), ...bundle(3)];
    expect(budget.deletable("r2", expired, group)).toEqual([...bundle(1), ...bundle(2)]);
    expect(budget.spent).toBe("deletions");
    expect(budget.deletable("r2", bundle(4), group)).toEqual([]);
  });

  it("counts Azure deletes one request per blob, R2 and S3 one per 1,000 keys", () => {
    expect(deleteRequests("azure-blob", 7)).toBe(7);
    expect(deleteRequests("s3", 1000)).toBe(1);
    expect(deleteRequests("r2", 1001)).toBe(2);
    const budget = new RetentionBudget({ ...DEFAULT_RETENTION_BOUNDS, deleteRequests: 2 });
    const keys = ["k1", "k2", "k3"];
    expect(budget.deletable("azure-blob", keys, (k) => k)).toEqual(["k1", "k2"]);
    expect(budget.spent).toBe("deleteRequests");
  });

  it("stops only when a unit is asked for and none is left", () => {
    const budget = new RetentionBudget({ ...DEFAULT_RETENTION_BOUNDS, listPages: 1 });
    expect(budget.take("listPages")).toBe(true);
    expect(budget.exhausted).toBe(false);
    expect(budget.take("listPages")).toBe(false);
    expect(budget.spent).toBe("listPages");
  });
});
