import { parseArgs } from 'node:util';
import { ConfigError, type Environment, type ProviderPlugin } from '@keyless/auth-core';
import { readConfigFile } from './config/config-file.ts';
import { loadConfig } from './config/load-config.ts';
import { startGateway } from './server/gateway.ts';

const USAGE = `usage: keyless serve [--config path.yaml]

Starts the gateway from environment variables and/or a config file
(KEYLESS_CONFIG or --config). See the README for every setting.`;

/** Exit code for configuration errors, distinct from crashes. */
const EXIT_CONFIG = 2;

async function run(argv: readonly string[], plugins: readonly ProviderPlugin[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals[0] ?? 'serve';
  if (values.help || command !== 'serve') {
    process.stdout.write(`${USAGE}\n`);
    process.exitCode = values.help ? 0 : EXIT_CONFIG;
    return;
  }

  const configPath = values.config ?? process.env.KEYLESS_CONFIG?.trim();
  const file = configPath ? await readConfigFile(configPath, plugins) : undefined;
  // Real environment variables win over the file's `engine.env` / `engine.auth`.
  const env: Environment = { ...file?.env, ...process.env };
  const config = loadConfig(env, plugins, file?.routes);
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
}

/**
 * The `keyless` command line with the given provider plugins: runs until a
 * signal stops the gateway; configuration errors exit with status 2.
 */
export function runCli(argv: readonly string[], plugins: readonly ProviderPlugin[]): void {
  run(argv, plugins).catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`keyless: configuration error: ${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    process.stderr.write(`keyless: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
