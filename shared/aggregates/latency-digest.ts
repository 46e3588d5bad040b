/**
 * A mergeable latency distribution: exact while small, a log-bucket sketch (DDSketch-style,
 * <= 1% relative error) always. Per-minute rollups hold one each; summaries merge them.
 * Exact values are kept up to LATENCY_EXACT_MAX so small windows give the exact
 * nearest-rank percentile the FixOps connector vectors expect (e.g. p95 of 4 values = the max).
 */
import { LATENCY_EXACT_MAX, LATENCY_RELATIVE_ERROR } from "../limits.ts";

const GAMMA = (1 + LATENCY_RELATIVE_ERROR) / (1 - LATENCY_RELATIVE_ERROR);
const LOG_GAMMA = Math.log(GAMMA);
/** Values at or below this (ms) share the zero bucket. */
const MIN_POSITIVE_MS = 1e-3;

/** The stored form (JSON in rollup rows): integers and finite numbers only. */
export interface DigestJson {
  n: number;
  min: number;
  max: number;
  /** Sorted values while n <= LATENCY_EXACT_MAX. */
  exact?: number[];
  zero: number;
  /** Bucket index -> count. */
  b: Record<string, number>;
}

export class LatencyDigest {
  n = 0;
  min = Infinity;
  max = -Infinity;
  #exact: number[] | null = [];
  #zero = 0;
  #buckets = new Map<number, number>();

  /** Add one latency in ms (finite, >= 0; anything else is ignored by callers). */
  add(ms: number): void {
    this.n++;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
    if (this.#exact) {
      if (this.#exact.length < LATENCY_EXACT_MAX) insertSorted(this.#exact, ms);
      else this.#exact = null;
    }
    this.#addBucket(bucketOf(ms), 1);
  }

  merge(other: LatencyDigest): void {
    if (other.n === 0) return;
    this.n += other.n;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    if (this.#exact && other.#exact && this.#exact.length + other.#exact.length <= LATENCY_EXACT_MAX) {
      for (const v of other.#exact) insertSorted(this.#exact, v);
    } else {
      this.#exact = null;
    }
    this.#zero += other.#zero;
    for (const [i, c] of other.#buckets) this.#buckets.set(i, (this.#buckets.get(i) ?? 0) + c);
  }

  /** Nearest-rank quantile (the ceil(q n)-th smallest), or null when empty. */
  quantile(q: number): number | null {
    if (this.n === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.n));
    if (this.#exact) return this.#exact[rank - 1]!;
    let seen = this.#zero;
    if (rank <= seen) return Math.max(0, this.min);
    const indices = [...this.#buckets.keys()].sort((a, b) => a - b);
    for (const i of indices) {
      seen += this.#buckets.get(i)!;
      if (rank <= seen) return clamp((2 * GAMMA ** i) / (GAMMA + 1), this.min, this.max);
    }
    return this.max;
  }

  toJSON(): DigestJson {
    const out: DigestJson = { n: this.n, min: this.n ? this.min : 0, max: this.n ? this.max : 0, zero: this.#zero, b: Object.fromEntries(this.#buckets) };
    if (this.#exact) out.exact = this.#exact;
    return out;
  }

  static fromJSON(j: DigestJson): LatencyDigest {
    const d = new LatencyDigest();
    d.n = j.n;
    d.min = j.n ? j.min : Infinity;
    d.max = j.n ? j.max : -Infinity;
    d.#exact = j.exact ? [...j.exact] : null;
    d.#zero = j.zero;
    for (const [i, c] of Object.entries(j.b)) d.#buckets.set(Number(i), c);
    return d;
  }

  #addBucket(i: number | null, c: number): void {
    if (i === null) this.#zero += c;
    else this.#buckets.set(i, (this.#buckets.get(i) ?? 0) + c);
  }
}

/** The bucket holding v: (gamma^(i-1), gamma^i]; null for the zero bucket. */
function bucketOf(ms: number): number | null {
  return ms <= MIN_POSITIVE_MS ? null : Math.ceil(Math.log(ms) / LOG_GAMMA);
}

function insertSorted(a: number[], v: number): void {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  a.splice(lo, 0, v);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
