import { parseArgs } from 'node:util';
import { ConfigError, Redactor } from '@keyless/auth-core';
import { readGatewayConfig } from '../config/read-gateway-config.ts';
import { DOCTOR_EXIT, type DoctorReport } from '../doctor/doctor-report.ts';
import { formatReport } from '../doctor/format-report.ts';
import { runDoctor } from '../doctor/run-doctor.ts';
import type { Command } from './command.ts';

/** `keyless doctor --help`: the options and the exit codes (DOCTOR_EXIT). */
const DOCTOR_HELP = `usage: keyless doctor [--config path.yaml|workflow.md] [--probe] [--json]

Checks every route of the configuration \`keyless serve\` would run with: the
configuration, the GitHub token's non-secret claims, each exchange hop with its
timing and the credential's lifetime; every known failure comes with its fix.

  --config PATH  config file or workflow markdown (default: KEYLESS_CONFIG, else variables only)
  --probe        also make one cheap authorized call to each route's upstream
  --json         print the report as JSON instead of the table

exit codes:
  ${DOCTOR_EXIT.ok}  every configured route passed
  ${DOCTOR_EXIT.routeFailed}  at least one route failed a check
  ${DOCTOR_EXIT.config}  the configuration is invalid (as for serve) or the arguments are: nothing was checked`;

/**
 * `keyless doctor`: the configuration serve would run with, checked route by
 * route (SPEC section 9). Exit 0 when every route passed, 1 when one failed,
 * 2 when the configuration itself is invalid.
 */
export const doctorCommand: Command = {
  name: 'doctor',
  summary:
    'check every route: config, GitHub token claims, each exchange hop, optionally the upstream',
  usage: 'keyless doctor [--config path.yaml|workflow.md] [--probe] [--json]',
  help: () => DOCTOR_HELP,
  async run(args, { plugins, env }) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        config: { type: 'string' },
        probe: { type: 'boolean' },
        json: { type: 'boolean' },
      },
      allowPositionals: false,
    });
    let report: DoctorReport;
    try {
      const config = await readGatewayConfig({ configPath: values.config, env, plugins });
      report = await runDoctor(config, { probe: values.probe === true });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // Pattern redaction only: a config error names variables, but must not quote a value.
      const redactor = new Redactor();
      report = {
        ok: false,
        configError: {
          message: redactor.redact(error.message),
          ...(error.fix ? { fix: error.fix } : {}),
        },
        warnings: [],
        routes: [],
      };
    }
    process.stdout.write(
      values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report),
    );
    process.exitCode = report.ok
      ? DOCTOR_EXIT.ok
      : report.configError && report.routes.length === 0
        ? DOCTOR_EXIT.config
        : DOCTOR_EXIT.routeFailed;
  },
};
