import { describe, expect, it } from 'vitest';
import { LATENCY_CEILING_MS, LatencyHistogram } from './latency-histogram.ts';

describe('LatencyHistogram', () => {
  it('reports percentiles with 10 µs resolution', () => {
    const histogram = new LatencyHistogram();
    for (let index = 1; index <= 100; index += 1) histogram.record(index * 0.01);
    expect(histogram.count).toBe(100);
    expect(histogram.percentile(50)).toBeCloseTo(0.5, 5);
    expect(histogram.percentile(99)).toBeCloseTo(0.99, 5);
    expect(histogram.percentile(100)).toBeCloseTo(1, 5);
  });

  it('clamps values above the ceiling but keeps the true maximum', () => {
    const histogram = new LatencyHistogram();
    histogram.record(LATENCY_CEILING_MS * 3);
    expect(histogram.percentile(50)).toBe(LATENCY_CEILING_MS);
    expect(histogram.max).toBe(LATENCY_CEILING_MS * 3);
  });

  it('is NaN when empty', () => {
    expect(new LatencyHistogram().percentile(50)).toBeNaN();
  });
});
