import { parseArgs } from 'node:util';
import { readGatewayConfig } from '../config/read-gateway-config.ts';
import { startGateway, type RunningGateway } from '../server/gateway.ts';
import { readTelemetrySettings } from '../telemetry/telemetry-settings.ts';
import { keylessVersion } from './version.ts';
import type { Command } from './command.ts';

/** How long after the shutdown grace the process exits even if closing has not finished, ms. */
const EXIT_MARGIN_MS = 2_000;

/** Runs a log call; a failed write (stdout gone) must not stop the shutdown. */
function log(write: () => void): void {
  try {
    write();
  } catch {
    // nothing left to tell: the reader of our output is gone
  }
}

/**
 * `keyless serve`: the gateway, until SIGTERM or SIGINT. As the container's
 * PID 1 it must handle both itself: the kernel gives PID 1 no default action.
 */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the gateway (environment variables and/or a config file)',
  usage: 'keyless serve [--config path.yaml|workflow.md]',
  async run(args, { plugins, env }) {
    const { values } = parseArgs({
      args: [...args],
      options: { config: { type: 'string' } },
      allowPositionals: false,
    });
    const config = await readGatewayConfig({ configPath: values.config, env, plugins });
    const telemetry = readTelemetrySettings(env);
    // Handlers first: a SIGTERM during start-up (docker stop on a slow start) also stops cleanly.
    const state: { gateway?: RunningGateway; requested?: NodeJS.Signals } = {};
    const shutdown = (running: RunningGateway, signal: NodeJS.Signals) => {
      log(() => running.logger.info({ event: 'gateway.signal', signal }, `received ${signal}`));
      // The last word if closing itself hangs: the grace bound plus a margin.
      setTimeout(() => process.exit(1), config.shutdownGraceMs + EXIT_MARGIN_MS).unref();
      running.close().then(
        () => process.exit(0),
        (error: unknown) => {
          log(() =>
            running.logger.error({ event: 'gateway.stop_failed', err: error }, 'shutdown failed'),
          );
          process.exit(1);
        },
      );
    };
    const stop = (signal: NodeJS.Signals) => {
      if (state.requested) return;
      state.requested = signal;
      if (state.gateway) shutdown(state.gateway, signal);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    state.gateway = await startGateway(config, {
      ...(telemetry ? { telemetry } : {}),
      version: keylessVersion(env),
    });
    if (state.requested) shutdown(state.gateway, state.requested);
  },
};
