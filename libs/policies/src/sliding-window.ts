/**
 * A sliding-window counter as the api-proxy keeps it: `slots` buckets of
 * `slotMs` each in a ring, so memory is fixed whatever the traffic. A value
 * added during slot `s` counts until slot `s + slots` begins.
 */
export class SlidingWindow {
  readonly #counts: number[];
  readonly #slotMs: number;
  #total = 0;
  /** Absolute slot (`floor(ms epoch / slotMs)`) the ring was last advanced to. */
  #current: number | undefined;

  constructor(slots: number, slotMs: number) {
    this.#counts = new Array<number>(slots).fill(0);
    this.#slotMs = slotMs;
  }

  /** The sum over the window at `now` (ms epoch). */
  total(now: number): number {
    this.#advance(now);
    return this.#total;
  }

  add(now: number, value: number): void {
    const slot = this.#advance(now);
    this.#counts[this.#index(slot)]! += value;
    this.#total += value;
  }

  /**
   * Milliseconds from `now` until the total is at most `allowed` (0 when it
   * already is): the moment enough of the oldest slots have left the window.
   */
  msUntilAtMost(now: number, allowed: number): number {
    const current = this.#advance(now);
    if (this.#total <= allowed) return 0;
    let remaining = this.#total;
    for (let age = this.#counts.length - 1; age >= 0; age--) {
      const slot = current - age;
      remaining -= this.#counts[this.#index(slot)]!;
      if (remaining <= allowed)
        return Math.max(0, (slot + this.#counts.length) * this.#slotMs - now);
    }
    return Number.POSITIVE_INFINITY;
  }

  #advance(now: number): number {
    const slot = Math.floor(now / this.#slotMs);
    if (this.#current === undefined) {
      this.#current = slot;
      return slot;
    }
    // A clock that went backwards keeps counting in the newest slot.
    const elapsed = slot - this.#current;
    if (elapsed <= 0) return this.#current;
    if (elapsed >= this.#counts.length) {
      this.#counts.fill(0);
      this.#total = 0;
    } else {
      for (let step = 1; step <= elapsed; step++) {
        const index = this.#index(this.#current + step);
        this.#total -= this.#counts[index]!;
        this.#counts[index] = 0;
      }
    }
    this.#current = slot;
    return slot;
  }

  #index(slot: number): number {
    const size = this.#counts.length;
    return ((slot % size) + size) % size;
  }
}
