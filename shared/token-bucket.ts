/**
 * A token bucket that may go into debt: a request is admitted while a whole token is left,
 * and a large batch pays for itself by making the next requests wait. So batches bigger
 * than the burst are never refused forever, and the long-run rate still holds.
 */
export class TokenBucket {
  #tokens: number;
  #at: number;
  readonly ratePerSecond: number;
  readonly capacity: number;

  constructor(ratePerSecond: number, burstSeconds: number, nowMs: number) {
    this.ratePerSecond = ratePerSecond;
    this.capacity = ratePerSecond * burstSeconds;
    this.#tokens = this.capacity;
    this.#at = nowMs;
  }

  /** Take `n` tokens; returns 0 when admitted, else the seconds to wait before trying again. */
  take(n: number, nowMs: number): number {
    this.#tokens = Math.min(this.capacity, this.#tokens + ((nowMs - this.#at) / 1000) * this.ratePerSecond);
    this.#at = nowMs;
    if (this.#tokens < 1) return Math.max(1, Math.ceil((1 - this.#tokens) / this.ratePerSecond));
    this.#tokens -= n;
    return 0;
  }
}
