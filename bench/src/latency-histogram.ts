/** Resolution of the histogram, ms. */
export const LATENCY_RESOLUTION_MS = 0.01;
/** Values at or above this many ms land in the last bucket. */
export const LATENCY_CEILING_MS = 2_000;

/**
 * Latencies with 10 µs resolution in fixed memory (autocannon's own histogram
 * has 1 ms resolution, too coarse for a loopback proxy). Values above the
 * ceiling are clamped to it.
 */
export class LatencyHistogram {
  readonly #buckets = new Uint32Array(Math.ceil(LATENCY_CEILING_MS / LATENCY_RESOLUTION_MS) + 1);
  #count = 0;
  #max = 0;

  /** Records one latency, ms. */
  record(ms: number): void {
    const index = Math.min(Math.round(ms / LATENCY_RESOLUTION_MS), this.#buckets.length - 1);
    this.#buckets[index] = (this.#buckets[index] ?? 0) + 1;
    this.#count += 1;
    if (ms > this.#max) this.#max = ms;
  }

  get count(): number {
    return this.#count;
  }

  /** Largest value recorded, ms (unclamped). */
  get max(): number {
    return this.#max;
  }

  /** The value at percentile `p` (0-100), ms; NaN when empty. */
  percentile(p: number): number {
    if (this.#count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    let seen = 0;
    for (let index = 0; index < this.#buckets.length; index += 1) {
      seen += this.#buckets[index] ?? 0;
      if (seen >= rank) return index * LATENCY_RESOLUTION_MS;
    }
    return LATENCY_CEILING_MS;
  }
}
