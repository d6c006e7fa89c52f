import { ConfigError, type ProviderPlugin } from '@keyless/auth-core';
import type { Command, CommandContext } from './commands/command.ts';
import { doctorCommand } from './commands/doctor.ts';
import { fakesCommand } from './commands/fakes.ts';
import { serveCommand } from './commands/serve.ts';
import { keylessVersion } from './commands/version.ts';

/**
 * The subcommands, in `--help` order. A command is one module under
 * commands/ and one line here.
 */
const COMMANDS: readonly Command[] = [serveCommand, doctorCommand, fakesCommand];

/** Exit code for configuration errors and bad usage, distinct from crashes. */
const EXIT_CONFIG = 2;

function help(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'usage: keyless <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'options: --help, --version',
    '',
    ...COMMANDS.map((command) => `  ${command.usage}`),
    '',
    'Every setting is listed in the README, section Configuration (generated from the code).',
  ].join('\n');
}

async function run(argv: readonly string[], context: CommandContext): Promise<void> {
  const [first = 'serve', ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(`${help()}\n`);
    return;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    process.stdout.write(`${keylessVersion(context.env)}\n`);
    return;
  }
  const command = COMMANDS.find((candidate) => candidate.name === first);
  if (!command) {
    process.stderr.write(`keyless: unknown command ${JSON.stringify(first)}\n\n${help()}\n`);
    process.exitCode = EXIT_CONFIG;
    return;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const text = command.help
      ? await command.help()
      : `usage: ${command.usage}\n${command.summary}`;
    process.stdout.write(`${text.trimEnd()}\n`);
    return;
  }
  await command.run(rest, context);
}

/**
 * The `keyless` command line with the given provider plugins. Configuration
 * errors and bad arguments exit with status 2, anything else with 1.
 */
export function runCli(argv: readonly string[], plugins: readonly ProviderPlugin[]): void {
  run(argv, { plugins, env: process.env }).catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`keyless: configuration error: ${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    // parseArgs rejects unknown options and stray arguments with these codes.
    const code = (error as { code?: string } | null)?.code;
    if (
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' ||
      code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
    ) {
      process.stderr.write(`keyless: ${(error as Error).message}\n`);
      process.exit(EXIT_CONFIG);
    }
    process.stderr.write(`keyless: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
