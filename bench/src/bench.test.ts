import { describe, expect, it } from 'vitest';
import { QUICK_SETTINGS, runBench, TARGETS, type BenchResult } from './bench.ts';
import { renderMarkdown, renderText } from './render-report.ts';

// The quick mode end to end, so that the bench cannot rot. Timings are printed, never asserted.
describe('npm run bench -- --quick', () => {
  let result: BenchResult;

  it('measures every target at every connection count without a failed request', async () => {
    result = await runBench(QUICK_SETTINGS);
    for (const target of TARGETS) {
      for (const connections of QUICK_SETTINGS.connections) {
        const runs = result.load.filter(
          (sample) => sample.target === target && sample.connections === connections,
        );
        expect(runs, `${target} at ${connections}`).toHaveLength(QUICK_SETTINGS.reps);
        for (const run of runs) {
          expect(run.ok, `${target} at ${connections}`).toBeGreaterThan(0);
          expect(run.failed, `${target} at ${connections}`).toBe(0);
        }
      }
    }
  });

  it('passes every SSE event through and keeps streams open for the peak RSS', () => {
    for (const target of ['direct', 'raw proxy', 'bearer route'] as const) {
      // 20 events and the [DONE] marker.
      expect(result.sse[target]?.events, target).toBe(21);
    }
    expect(result.memory.sseOk).toBeGreaterThan(0);
    expect(result.memory.sseFailed).toBe(0);
    expect(result.memory.idleStatic).toBeGreaterThan(0);
    expect(result.memory.peakSse).toBeGreaterThan(0);
  });

  it('serves a cold start of concurrent first requests with exactly one exchange', () => {
    expect(result.coldStart.exchanges).toBe(1);
    expect(result.coldStart.idTokens).toBe(1);
    expect(result.coldStart.statuses).toEqual({ 200: QUICK_SETTINGS.coldRequests });
  });

  it('renders the table and the Markdown report', () => {
    const text = renderText(result);
    for (const target of TARGETS) expect(text).toContain(target);
    expect(text).toContain('cold start');
    expect(renderMarkdown(result)).toContain('| conns | target |');
  });
});
