import { parseArgs } from 'node:util';
import { readGatewayConfig } from '../config/read-gateway-config.ts';
import { startGateway } from '../server/gateway.ts';
import type { Command } from './command.ts';

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
    const gateway = await startGateway(config);

    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      gateway.logger.info({ event: 'gateway.signal', signal }, `received ${signal}`);
      gateway.close().then(
        () => process.exit(0),
        (error: unknown) => {
          gateway.logger.error({ event: 'gateway.stop_failed', err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  },
};
