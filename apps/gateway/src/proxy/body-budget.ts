/**
 * The request body bytes held in memory at once, across all requests: a
 * request that would pass the bound is refused (503 overloaded) instead of
 * growing the process past the sidecar's memory limit.
 */
export class BodyBudget {
  readonly #limit: number;
  #used = 0;

  /** `limit` in bytes. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Bytes held now. */
  get used(): number {
    return this.#used;
  }

  /** Takes `bytes` from the budget; false (and nothing taken) when that would pass the bound. */
  take(bytes: number): boolean {
    if (this.#used + bytes > this.#limit) return false;
    this.#used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}
