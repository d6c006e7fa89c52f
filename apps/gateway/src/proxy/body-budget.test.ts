import { describe, expect, it } from 'vitest';
import { BodyBudget } from './body-budget.ts';

describe('BodyBudget', () => {
  it('takes bytes up to its limit and refuses what would pass it, taking nothing', () => {
    const budget = new BodyBudget(10);
    expect(budget.take(6)).toBe(true);
    expect(budget.take(5)).toBe(false);
    expect(budget.used).toBe(6);
    expect(budget.take(4)).toBe(true);
    expect(budget.used).toBe(10);
  });

  it('gives bytes back, never below zero', () => {
    const budget = new BodyBudget(10);
    budget.take(8);
    budget.give(8);
    expect(budget.used).toBe(0);
    budget.give(5);
    expect(budget.used).toBe(0);
    expect(budget.take(10)).toBe(true);
  });
});
