/**
 * Failures of a retention run, reported and skipped (never retried within the run): grouped
 * by tenant, class, step and reason, each with a count and the first detail, so a thousand
 * locked objects are one line. Details name keys and store error codes, never secrets.
 */
import { RETENTION_MAX_REPORTED_ERRORS } from "../../shared/limits.ts";
import type { RetentionClass } from "../../shared/retention.ts";

export type FailureStep = "config" | "list" | "delete" | "asset" | "tenant";

export interface RetentionFailure {
  tenant: string;
  class: RetentionClass | null;
  step: FailureStep;
  /** A StoreErrorReason (`locked`, `auth`, `network`, ...) or `other`. */
  reason: string;
  count: number;
  /** The first failure's detail, e.g. the key and the store's error code. */
  detail: string;
}

export class Failures {
  readonly #byKey = new Map<string, RetentionFailure>();
  /** Failure groups beyond RETENTION_MAX_REPORTED_ERRORS: counted, not listed. */
  omitted = 0;

  add(f: Omit<RetentionFailure, "count">, count = 1): void {
    const key = JSON.stringify([f.tenant, f.class, f.step, f.reason]);
    const seen = this.#byKey.get(key);
    if (seen) seen.count += count;
    else if (this.#byKey.size < RETENTION_MAX_REPORTED_ERRORS) this.#byKey.set(key, { ...f, detail: f.detail.slice(0, 500), count });
    else this.omitted += count;
  }

  list(): RetentionFailure[] {
    return [...this.#byKey.values()];
  }
}
