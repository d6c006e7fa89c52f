import { describe, expect, it } from 'vitest';
import { QUICK_SETTINGS, type BenchResult, type LoadSample, type Target } from './bench.ts';
import { checkTargets, loadRows } from './summary.ts';

const MIB = 1024 * 1024;

function sample(target: Target, connections: number, rep: number, rps: number): LoadSample {
  return { target, connections, rep, rps, p50: 1, p99: rps > 500 ? 2 : 5, ok: rps, failed: 0 };
}

// Two repetitions at 16 connections; the raw proxy is half of direct, the bearer route 0.8 / 0.6
// of it, and its p99 3 ms above direct's.
const LOAD = [
  sample('direct', 16, 1, 1000),
  sample('raw proxy', 16, 1, 500),
  sample('bearer route', 16, 1, 400),
  sample('sigv4 route', 16, 1, 360),
  sample('direct', 16, 2, 800),
  sample('raw proxy', 16, 2, 500),
  sample('bearer route', 16, 2, 300),
  sample('sigv4 route', 16, 2, 150),
];

describe('loadRows', () => {
  it('takes medians of per-repetition ratios and keeps the range', () => {
    const bearer = loadRows(LOAD).find((row) => row.target === 'bearer route');
    expect(bearer).toMatchObject({ connections: 16, rps: 350, rpsMin: 300, rpsMax: 400 });
    expect(bearer?.vsRaw).toBeCloseTo((0.8 + 0.6) / 2, 5);
    expect(bearer?.vsDirect).toBeCloseTo((0.4 + 0.375) / 2, 5);
  });
});

describe('checkTargets', () => {
  const result: BenchResult = {
    machine: { cpu: 'test', cores: 2, memory: 0, os: 'test', node: 'v22', commit: 'x', at: '' },
    settings: QUICK_SETTINGS,
    load: LOAD,
    sse: {
      direct: { ttfb: 6, perEvent: 5, events: 21, samples: 2 },
      'bearer route': { ttfb: 6.5, perEvent: 5.5, events: 21, samples: 2 },
    },
    memory: {
      idleStatic: 80 * MIB,
      idle: 90 * MIB,
      peakLoad: 120 * MIB,
      peakSse: 160 * MIB,
      sseOk: 1,
      sseFailed: 0,
    },
    coldStart: {
      requests: 50,
      statuses: { 200: 50 },
      p50: 1,
      p99: 1,
      max: 1,
      exchanges: 1,
      idTokens: 1,
    },
    profiles: [],
  };

  it('marks each target met or missed', () => {
    const met = Object.fromEntries(checkTargets(result).map((check) => [check.name, check.met]));
    expect(met).toMatchObject({
      'bearer / raw proxy at 16': false,
      'p99 added over direct at 16': false,
      'sigv4 / bearer at 16': false,
      'SSE added time to first byte': true,
      'SSE added time per event': false,
      'idle RSS, one static route': true,
      'peak RSS, 20 SSE streams': false,
      'cold start, 50 first requests': true,
    });
  });
});
