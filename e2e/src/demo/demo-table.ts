import type { TimedAnswer } from './timed-request.ts';

/** One route as the demo's table shows it. */
export interface DemoRow {
  readonly route: string;
  readonly provider: string;
  /** e.g. `static key (OPENAI_API_KEY)` or `github-oidc -> azure`. */
  readonly auth: string;
  /** Exchange hops with their timings, e.g. `github-oidc 9 ms, entra-token 41 ms`. */
  readonly hops: string;
  readonly json: TimedAnswer;
  readonly stream: TimedAnswer;
  /** Credential lifetime left, e.g. `59m 58s`, or `static`. */
  readonly lifetime: string;
}

const HEADER = [
  'ROUTE',
  'PROVIDER',
  'AUTH',
  'EXCHANGE HOPS',
  'REQUEST',
  'STATUS',
  'FIRST BYTE',
  'TOTAL',
  'CREDENTIAL',
];

/** The demo's table: two lines per route (the plain request, then the streaming one). */
export function formatDemoTable(rows: readonly DemoRow[]): string {
  const lines: string[][] = [];
  for (const row of rows) {
    const cells = (kind: 'json' | 'stream', answer: TimedAnswer, first: boolean) => [
      first ? row.route : '',
      first ? row.provider : '',
      first ? row.auth : '',
      first ? row.hops : '',
      kind,
      String(answer.status),
      `${Math.round(answer.firstByteMs)} ms`,
      `${Math.round(answer.totalMs)} ms`,
      first ? row.lifetime : '',
    ];
    lines.push(cells('json', row.json, true), cells('stream', row.stream, false));
  }
  const widths = HEADER.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]!.length)),
  );
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [
    render(HEADER),
    render(widths.map((width) => '-'.repeat(width))),
    ...lines.map(render),
  ].join('\n');
}

/** `59m 58s` for 3598 s. */
export function formatLifetime(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m ${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}
