import type { BenchResult } from './bench.ts';
import { checkTargets, loadRows } from './summary.ts';

const MIB = 1024 * 1024;

/** Table cells: a header row and body rows. */
type Table = { readonly head: readonly string[]; readonly body: ReadonlyArray<readonly string[]> };

const ms = (value: number): string => (Number.isNaN(value) ? '-' : value.toFixed(2));
const ratio = (value: number): string => (Number.isNaN(value) ? '-' : value.toFixed(2));
const mib = (bytes: number): string => `${(bytes / MIB).toFixed(0)} MiB`;

function tables(result: BenchResult): Array<{ title: string; table: Table }> {
  const load: Table = {
    head: [
      'conns',
      'target',
      'req/s',
      'req/s range',
      'p50 ms',
      'p99 ms',
      'x direct',
      'x raw proxy',
      'failed',
    ],
    body: loadRows(result.load).map((row) => [
      String(row.connections),
      row.target,
      row.rps.toFixed(0),
      `${row.rpsMin.toFixed(0)}-${row.rpsMax.toFixed(0)}`,
      ms(row.p50),
      ms(row.p99),
      ratio(row.vsDirect),
      ratio(row.vsRaw),
      String(row.failed),
    ]),
  };
  const direct = result.sse.direct;
  const sse: Table = {
    head: ['target', 'first byte ms', 'added ms', 'per event ms', 'added ms', 'events'],
    body: Object.entries(result.sse).map(([target, timing]) => [
      target,
      ms(timing.ttfb),
      direct ? ms(timing.ttfb - direct.ttfb) : '-',
      ms(timing.perEvent),
      direct ? ms(timing.perEvent - direct.perEvent) : '-',
      String(timing.events),
    ]),
  };
  const { memory, coldStart, settings } = result;
  const other: Table = {
    head: ['measure', 'value'],
    body: [
      ['idle RSS, one static route', mib(memory.idleStatic)],
      ['idle RSS, measured gateway (static + SigV4 route)', mib(memory.idle)],
      ['peak RSS during the load runs', mib(memory.peakLoad)],
      [
        `peak RSS, ${settings.sseStreams} concurrent SSE streams`,
        `${mib(memory.peakSse)} (${memory.sseOk} streams ok, ${memory.sseFailed} failed)`,
      ],
      [
        `cold start: ${coldStart.requests} concurrent first requests, identity answers after ${settings.identityDelayMs} ms`,
        `${coldStart.exchanges} exchange(s), ${coldStart.idTokens} GitHub token(s); statuses ${JSON.stringify(coldStart.statuses)}; p50 ${coldStart.p50.toFixed(0)} ms, p99 ${coldStart.p99.toFixed(0)} ms, max ${coldStart.max.toFixed(0)} ms`,
      ],
    ],
  };
  const targets: Table = {
    head: ['target (issue 16)', 'goal', 'measured', 'met'],
    body: checkTargets(result).map((check) => [
      check.name,
      check.goal,
      check.value,
      check.met ? 'yes' : 'NO',
    ]),
  };
  return [
    { title: 'Throughput and latency (medians over repetitions)', table: load },
    { title: 'SSE pass-through (20 events 5 ms apart)', table: sse },
    { title: 'Memory and cold start', table: other },
    { title: 'Targets', table: targets },
  ];
}

function machineLine(result: BenchResult): string {
  const { machine, settings } = result;
  return `${machine.cpu}, ${machine.cores} cores, ${mib(machine.memory)}, ${machine.os}, Node ${machine.node}, commit ${machine.commit}, ${machine.at}; ${settings.quick ? 'quick mode, ' : ''}${settings.reps} rep(s) x ${settings.durationS} s per run`;
}

function textTable(table: Table): string {
  const rows = [table.head, ...table.body];
  const widths = table.head.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) =>
        column === 0 || column === 1
          ? cell.padEnd(widths[column]!)
          : cell.padStart(widths[column]!),
      )
      .join('  ');
  return [
    line(table.head),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...table.body.map(line),
  ].join('\n');
}

function markdownTable(table: Table): string {
  const line = (row: readonly string[]) => `| ${row.join(' | ')} |`;
  return [line(table.head), line(table.head.map(() => '---')), ...table.body.map(line)].join('\n');
}

/** The readable report printed on stdout. */
export function renderText(result: BenchResult): string {
  const sections = tables(result).map(({ title, table }) => `${title}\n\n${textTable(table)}`);
  return [`keyless bench: ${machineLine(result)}`, ...sections].join('\n\n') + '\n';
}

/** The same report as Markdown, for docs/benchmarks.md. */
export function renderMarkdown(result: BenchResult): string {
  const sections = tables(result).map(
    ({ title, table }) => `#### ${title}\n\n${markdownTable(table)}`,
  );
  return [`Machine and run: ${machineLine(result)}.`, ...sections].join('\n\n') + '\n';
}
