import { parseArgs } from 'node:util';
import { ConfigError, Redactor } from '@keyless/auth-core';
import { readGatewayConfig } from '../config/read-gateway-config.ts';
import { DOCTOR_EXIT, type DoctorReport } from '../doctor/doctor-report.ts';
import { formatReport } from '../doctor/format-report.ts';
import { runDoctor } from '../doctor/run-doctor.ts';
import type { Command } from './command.ts';

/**
 * `keyless doctor`: the configuration serve would run with, checked route by
 * route (SPEC section 9). Exit 0 when every route passed, 1 when one failed,
 * 2 when the configuration itself is invalid.
 */
export const doctorCommand: Command = {
  name: 'doctor',
  summary:
    'check every route: config, GitHub token claims, each exchange hop, optionally the upstream',
  usage: 'keyless doctor [--config path.yaml] [--probe] [--json]',
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
