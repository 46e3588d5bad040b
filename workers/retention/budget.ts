/**
 * What one retention run may still spend, across all tenants: list pages, deletions (keys and
 * requests), AssetLog calls and tenants. Keeps a run well inside a Worker invocation's
 * subrequest limit; once any bound is spent the run stops and the next continues.
 */
import {
  RETENTION_MAX_ASSETS_PER_RUN, RETENTION_MAX_DELETE_REQUESTS_PER_RUN, RETENTION_MAX_DELETES_PER_RUN,
  RETENTION_MAX_LIST_PAGES_PER_RUN, RETENTION_MAX_TENANTS_PER_RUN, STORE_DELETE_BATCH_KEYS,
} from "../../shared/limits.ts";

export interface RetentionBounds {
  listPages: number;
  deletions: number;
  deleteRequests: number;
  assets: number;
  tenants: number;
}

export type BoundName = keyof RetentionBounds;

export const DEFAULT_RETENTION_BOUNDS: RetentionBounds = {
  listPages: RETENTION_MAX_LIST_PAGES_PER_RUN,
  deletions: RETENTION_MAX_DELETES_PER_RUN,
  deleteRequests: RETENTION_MAX_DELETE_REQUESTS_PER_RUN,
  assets: RETENTION_MAX_ASSETS_PER_RUN,
  tenants: RETENTION_MAX_TENANTS_PER_RUN,
};

/** Requests a delete of `keys` keys costs: R2 and S3 batch them, Azure Blob deletes one blob per request. */
export function deleteRequests(provider: string, keys: number): number {
  return provider === "azure-blob" ? keys : Math.ceil(keys / STORE_DELETE_BATCH_KEYS);
}

export class RetentionBudget {
  readonly #left: RetentionBounds;
  /** The bound that stopped the run: the first one asked for when none was left. */
  spent: BoundName | null = null;

  constructor(bounds: RetentionBounds) {
    this.#left = { ...bounds };
  }

  /** Take one unit of `bound`; false when none is left, and the run stops. */
  take(bound: BoundName): boolean {
    return this.takeUpTo(bound, 1) === 1;
  }

  /** Take up to `n` units of `bound`; how many were granted. Fewer than asked stops the run. */
  takeUpTo(bound: BoundName, n: number): number {
    const granted = Math.min(n, this.#left[bound]);
    this.#left[bound] -= granted;
    if (granted < n) this.spent ??= bound;
    return granted;
  }

  /** Whether the run must stop: it asked for more of some bound than was left. */
  get exhausted(): boolean {
    return this.spent !== null;
  }

  /**
   * The keys to delete now, out of `expired` (in listing order), in whole groups: a bundle's
   * files go together, which may overshoot the key bound by the rest of one bundle. Fewer than
   * all stops the run, and the caller lists the same page again next run.
   */
  deletable(provider: string, expired: readonly string[], group: (key: string) => string): string[] {
    let n = 0;
    while (n < expired.length && n < this.#left.deletions && deleteRequests(provider, n + 1) <= this.#left.deleteRequests) n++;
    const cut: BoundName = n >= this.#left.deletions ? "deletions" : "deleteRequests";
    if (n > 0) {
      const last = group(expired[n - 1]!);
      while (n < expired.length && group(expired[n]!) === last) n++;
    }
    if (n < expired.length) this.spent ??= cut;
    this.#left.deletions = Math.max(0, this.#left.deletions - n);
    this.#left.deleteRequests = Math.max(0, this.#left.deleteRequests - deleteRequests(provider, n));
    return expired.slice(0, n);
  }
}
