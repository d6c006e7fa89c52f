import { TARGETS, type BenchResult, type LoadSample, type Target } from './bench.ts';
import { median } from './stats.ts';

/** Medians over the repetitions of one target at one connection count. */
export interface LoadRow {
  readonly target: Target;
  readonly connections: number;
  readonly rps: number;
  /** Lowest and highest req/s over the repetitions: the noise. */
  readonly rpsMin: number;
  readonly rpsMax: number;
  readonly p50: number;
  readonly p99: number;
  /** Median over repetitions of req/s divided by direct's (same repetition). */
  readonly vsDirect: number;
  /** Median over repetitions of req/s divided by the raw proxy's (same repetition). */
  readonly vsRaw: number;
  /** Non-2xx answers and errors over all repetitions. */
  readonly failed: number;
}

/** One target of issue 16 and whether this run met it. */
export interface TargetCheck {
  readonly name: string;
  readonly goal: string;
  readonly value: string;
  readonly met: boolean;
}

const MIB = 1024 * 1024;

function ratios(
  samples: readonly LoadSample[],
  of: Target,
  to: Target,
  connections: number,
): number {
  const byRep = new Map<number, Partial<Record<Target, number>>>();
  for (const sample of samples) {
    if (sample.connections !== connections) continue;
    const rep = byRep.get(sample.rep) ?? {};
    rep[sample.target] = sample.rps;
    byRep.set(sample.rep, rep);
  }
  const values: number[] = [];
  for (const rep of byRep.values()) {
    const a = rep[of];
    const b = rep[to];
    if (a !== undefined && b) values.push(a / b);
  }
  return median(values);
}

/** One row per target and connection count, medians over repetitions. */
export function loadRows(samples: readonly LoadSample[]): LoadRow[] {
  const connections = [...new Set(samples.map((sample) => sample.connections))];
  const rows: LoadRow[] = [];
  for (const count of connections) {
    for (const target of TARGETS) {
      const mine = samples.filter((s) => s.target === target && s.connections === count);
      if (mine.length === 0) continue;
      const rps = mine.map((s) => s.rps);
      rows.push({
        target,
        connections: count,
        rps: median(rps),
        rpsMin: Math.min(...rps),
        rpsMax: Math.max(...rps),
        p50: median(mine.map((s) => s.p50)),
        p99: median(mine.map((s) => s.p99)),
        vsDirect: ratios(samples, target, 'direct', count),
        vsRaw: ratios(samples, target, 'raw proxy', count),
        failed: mine.reduce((sum, s) => sum + s.failed, 0),
      });
    }
  }
  return rows;
}

function row(rows: readonly LoadRow[], target: Target, connections: number): LoadRow | undefined {
  return rows.find((r) => r.target === target && r.connections === connections);
}

/** The targets of issue 16, checked against `result` (connection counts not measured are skipped). */
export function checkTargets(result: BenchResult): TargetCheck[] {
  const rows = loadRows(result.load);
  const checks: TargetCheck[] = [];
  for (const connections of [16, 64]) {
    const bearer = row(rows, 'bearer route', connections);
    if (bearer)
      checks.push({
        name: `bearer / raw proxy at ${connections}`,
        goal: '>= 0.75',
        value: bearer.vsRaw.toFixed(2),
        met: bearer.vsRaw >= 0.75,
      });
  }
  const bearer16 = row(rows, 'bearer route', 16);
  const direct16 = row(rows, 'direct', 16);
  if (bearer16 && direct16) {
    const added = bearer16.p99 - direct16.p99;
    checks.push({
      name: 'p99 added over direct at 16',
      goal: '<= 2 ms',
      value: `${added.toFixed(2)} ms`,
      met: added <= 2,
    });
  }
  for (const connections of result.settings.connections) {
    const ratio = ratios(result.load, 'sigv4 route', 'bearer route', connections);
    if (!Number.isNaN(ratio)) {
      checks.push({
        name: `sigv4 / bearer at ${connections}`,
        goal: '>= 0.8',
        value: ratio.toFixed(2),
        met: ratio >= 0.8,
      });
    }
  }
  const sseDirect = result.sse.direct;
  const sseBearer = result.sse['bearer route'];
  if (sseDirect && sseBearer) {
    const ttfb = sseBearer.ttfb - sseDirect.ttfb;
    const perEvent = sseBearer.perEvent - sseDirect.perEvent;
    checks.push({
      name: 'SSE added time to first byte',
      goal: '<= 1 ms',
      value: `${ttfb.toFixed(2)} ms`,
      met: ttfb <= 1,
    });
    // "Nothing per chunk": within 0.1 ms, the resolution a 5 ms timer allows on a busy machine.
    checks.push({
      name: 'SSE added time per event',
      goal: '~0 ms',
      value: `${perEvent.toFixed(2)} ms`,
      met: perEvent <= 0.1,
    });
  }
  const idle = result.memory.idleStatic / MIB;
  checks.push({
    name: 'idle RSS, one static route',
    goal: '<= 90 MiB',
    value: `${idle.toFixed(0)} MiB`,
    met: idle <= 90,
  });
  const peak = result.memory.peakSse / MIB;
  checks.push({
    name: `peak RSS, ${result.settings.sseStreams} SSE streams`,
    goal: '<= 150 MiB',
    value: `${peak.toFixed(0)} MiB`,
    met: peak <= 150,
  });
  checks.push({
    name: `cold start, ${result.coldStart.requests} first requests`,
    goal: '1 exchange',
    value: `${result.coldStart.exchanges} exchange(s)`,
    met: result.coldStart.exchanges === 1,
  });
  return checks;
}
