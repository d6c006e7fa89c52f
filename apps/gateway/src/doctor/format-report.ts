import type { CheckStatus, DoctorReport, RouteDiagnosis } from './doctor-report.ts';

const MARK: Readonly<Record<CheckStatus, string>> = {
  ok: 'ok  ',
  warn: 'warn',
  fail: 'FAIL',
  skip: 'skip',
};

/**
 * The human form of a doctor report: per route its steps (with timing,
 * result and fix) and the GitHub token's claims, then one summary table.
 */
export function formatReport(report: DoctorReport): string {
  const lines: string[] = [];
  if (report.configError) {
    lines.push(`keyless doctor: configuration  FAIL`, `  ${report.configError.message}`);
    if (report.configError.fix) lines.push(`  fix: ${report.configError.fix}`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(
    `keyless doctor: ${report.routes.length} configured route${report.routes.length === 1 ? '' : 's'}`,
  );
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  for (const route of report.routes) lines.push('', ...routeBlock(route));
  lines.push('', ...summary(report));
  return `${lines.join('\n')}\n`;
}

function routeBlock(route: RouteDiagnosis): string[] {
  const lines = [`${route.route}  :${route.port} -> ${route.upstream}  ${route.auth}`];
  if (route.sharesCredentialWith)
    lines.push(`  (shares its credential with ${route.sharesCredentialWith}: same exchange)`);
  const width = Math.max(...route.steps.map((step) => step.name.length));
  for (const step of route.steps) {
    const time = step.durationMs === undefined ? '' : `${step.durationMs} ms`;
    const code = step.code ? `${step.code}: ` : '';
    lines.push(
      `  ${MARK[step.status]} ${step.name.padEnd(width)} ${time.padStart(8)}  ${code}${step.detail ?? ''}`.trimEnd(),
    );
    if (step.fix) lines.push(`       fix: ${step.fix}`);
    if (step.name === 'github-oidc' && route.claims && !route.sharesCredentialWith)
      lines.push(...claimLines(route.claims));
  }
  // A failure before the GitHub token was asked for still shows the claims if there are any.
  if (route.claims && !route.steps.some((step) => step.name === 'github-oidc'))
    lines.push(...claimLines(route.claims));
  return lines;
}

function claimLines(claims: Readonly<Record<string, unknown>>): string[] {
  const width = Math.max(...Object.keys(claims).map((name) => name.length));
  return Object.entries(claims).map(([name, value]) => {
    const shown =
      name === 'exp' && typeof value === 'number'
        ? `${value} (${new Date(value * 1000).toISOString()})`
        : String(value);
    return `         ${name.padEnd(width)}  ${shown}`;
  });
}

function summary(report: DoctorReport): string[] {
  const rows = report.routes.map((route) => {
    const failed = route.steps.find((step) => step.status === 'fail');
    const hops = route.steps
      .filter((step) => step.durationMs !== undefined && step.name !== 'probe')
      .map((step) => `${step.name} ${step.durationMs}ms`)
      .join(', ');
    return [
      route.route,
      route.auth,
      hops || '-',
      route.lifetimeSeconds === undefined ? '-' : `${route.lifetimeSeconds} s`,
      failed ? `FAIL (${failed.name})` : 'ok',
    ];
  });
  const header = ['ROUTE', 'AUTH', 'HOPS', 'LIFETIME', 'RESULT'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  const failed = report.routes.filter((route) => !route.ok).length;
  return [
    line(header),
    ...rows.map(line),
    '',
    failed > 0
      ? `${failed} of ${report.routes.length} routes failed.`
      : report.routes.length === 1
        ? 'The route passed.'
        : `All ${report.routes.length} routes passed.`,
  ];
}
