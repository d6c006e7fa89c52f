import { describe, expect, it } from 'vitest';
import { SlidingWindow } from './sliding-window.ts';

const SECOND = 1000;
const T0 = 1_700_000_000_000; // a whole second

describe('SlidingWindow (60 slots of 1 s)', () => {
  it('counts a value for exactly the slots of the window', () => {
    const window = new SlidingWindow(60, SECOND);
    window.add(T0 + 900, 1);
    expect(window.total(T0 + 59 * SECOND + 999)).toBe(1);
    expect(window.total(T0 + 60 * SECOND)).toBe(0);
  });

  it('says when the oldest value leaves, not a full window every time', () => {
    const window = new SlidingWindow(60, SECOND);
    window.add(T0, 1);
    // One second later the value still has 59 s to go ...
    expect(window.msUntilAtMost(T0 + SECOND, 0)).toBe(59 * SECOND);
    // ... and at 59.5 s only half a second.
    expect(window.msUntilAtMost(T0 + 59 * SECOND + 500, 0)).toBe(500);
    expect(window.msUntilAtMost(T0 + 60 * SECOND, 0)).toBe(0);
  });

  it('frees just enough of the oldest slots to get under the limit', () => {
    const window = new SlidingWindow(60, SECOND);
    window.add(T0, 2);
    window.add(T0 + 10 * SECOND, 3);
    window.add(T0 + 20 * SECOND, 1);
    const now = T0 + 30 * SECOND;
    expect(window.total(now)).toBe(6);
    expect(window.msUntilAtMost(now, 4)).toBe(30 * SECOND); // the T0 slot leaves at T0+60
    expect(window.msUntilAtMost(now, 1)).toBe(40 * SECOND); // then the T0+10 one
    expect(window.msUntilAtMost(now, 6)).toBe(0);
  });

  it('drops everything after a long idle gap and survives a clock step back', () => {
    const window = new SlidingWindow(60, SECOND);
    window.add(T0, 5);
    expect(window.total(T0 + 3600 * SECOND)).toBe(0);
    window.add(T0 + 3600 * SECOND, 1);
    window.add(T0 + 3500 * SECOND, 1); // clock went back: counted in the newest slot
    expect(window.total(T0 + 3600 * SECOND)).toBe(2);
  });

  it('uses minute slots for the hour window', () => {
    const window = new SlidingWindow(60, 60 * SECOND);
    window.add(T0 + 30 * SECOND, 1);
    const slotStart = Math.floor((T0 + 30 * SECOND) / 60_000) * 60_000;
    expect(window.msUntilAtMost(T0 + 60 * SECOND, 0)).toBe(
      slotStart + 3600 * SECOND - (T0 + 60 * SECOND),
    );
  });
});
