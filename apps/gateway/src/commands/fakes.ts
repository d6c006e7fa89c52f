import type { Command } from './command.ts';

/** The dev package that holds the fakes; the production image leaves it out. */
export const FAKES_PACKAGE = '@keyless/fakes';

/** What `keyless fakes` needs of the fakes package. */
export interface FakesModule {
  runFakesCli(argv: readonly string[]): Promise<number>;
  /** The whole `keyless fakes --help` text (every flag). */
  readonly FAKES_USAGE: string;
}

/**
 * `keyless fakes`: the fake clouds and upstreams standalone (the fakes
 * package's own CLI). Loaded on demand, so that an install without dev
 * packages runs every other command and says clearly why this one cannot.
 * `load` is the import (a seam for tests).
 */
export function createFakesCommand(
  load: () => Promise<FakesModule> = () => import(FAKES_PACKAGE) as Promise<FakesModule>,
): Command {
  return {
    name: 'fakes',
    summary:
      'start fake GitHub OIDC, cloud STS and LLM servers and print the environment to use them',
    usage:
      'keyless fakes [--fail FAULT]... [--claim KEY=VALUE]... [--lifetime SECONDS] [--port BASE] [--out DIR] [--list-faults]',
    async help() {
      const fakes = await loadOrExplain(load);
      return fakes ? fakes.FAKES_USAGE : `usage: ${this.usage}\n${this.summary}`;
    },
    async run(args) {
      const fakes = await loadOrExplain(load);
      if (!fakes) {
        process.exitCode = 1;
        return;
      }
      process.exitCode = await fakes.runFakesCli(args);
    },
  };
}

/** The fakes package, or undefined after saying on stderr that this install has none. */
async function loadOrExplain(load: () => Promise<FakesModule>): Promise<FakesModule | undefined> {
  try {
    return await load();
  } catch (error) {
    const missing =
      (error as { code?: string } | null)?.code === 'ERR_MODULE_NOT_FOUND' &&
      String((error as Error).message).includes(FAKES_PACKAGE);
    if (!missing) throw error;
    process.stderr.write(
      `keyless fakes: the dev package ${FAKES_PACKAGE} is not installed here (production installs and the ` +
        'container image leave dev packages out). Run it from a clone of the repository: npm ci && npm run fakes\n',
    );
    return undefined;
  }
}

/** `keyless fakes` with the real import. */
export const fakesCommand: Command = createFakesCommand();
