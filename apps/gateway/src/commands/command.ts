import type { ProviderPlugin } from '@keyless/auth-core';

/** What every command gets from the command line around it. */
export interface CommandContext {
  /** The provider plugins this gateway ships (or a test's own). */
  readonly plugins: readonly ProviderPlugin[];
  /** The process environment (real variables win over a config file's). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** One `keyless <name>` subcommand: one module under commands/, one line in cli.ts. */
export interface Command {
  readonly name: string;
  /** One line for `keyless --help`. */
  readonly summary: string;
  /** e.g. `keyless serve [--config path.yaml]`. */
  readonly usage: string;
  /**
   * The whole `keyless <name> --help` text (usage, every option, exit codes);
   * without it, `--help` prints the usage and the summary.
   */
  help?(): string | Promise<string>;
  /**
   * Runs the command with the arguments after its name. It resolves when the
   * command is set up (a server may keep running) and sets `process.exitCode`
   * for a result; a ConfigError rejection exits with status 2.
   */
  run(args: readonly string[], context: CommandContext): Promise<void>;
}
