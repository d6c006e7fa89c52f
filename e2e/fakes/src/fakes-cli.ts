import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FAKE_FAULTS, isFakeFault } from './fake-faults.ts';
import type { FakeFault } from './fake-faults.ts';
import { DEFAULT_STACK_BASE_PORT, STACK_ROUTES, startFakeStack } from './fake-stack.ts';
import type { FakeStack } from './fake-stack.ts';

/** Usage of `keyless fakes` (also `npm run fakes`). */
export const FAKES_USAGE = `usage: keyless fakes [--fail FAULT]... [--claim KEY=VALUE]... [--lifetime SECONDS]
                    [--port BASE] [--out DIR] [--list-faults]

Starts fake GitHub OIDC, Entra, GCP STS/IAM, AWS STS, Anthropic federation, OpenAI,
Anthropic, Gemini, Azure OpenAI, Vertex and Bedrock servers on 127.0.0.1, prints the
environment that points a gateway at them and writes it to DIR/env.sh, with
DIR/keyless.yaml (one route per provider, ports BASE..BASE+${STACK_ROUTES.length - 1}).
Ctrl-C stops them.

  --fail FAULT       make a hop fail the way a misconfigured cloud does (repeatable; --list-faults)
  --claim KEY=VALUE  set a claim of the GitHub token, e.g. environment=production (repeatable)
  --lifetime S       lifetime of every cloud credential issued, seconds
  --port BASE        first route port (default ${DEFAULT_STACK_BASE_PORT})
  --out DIR          where env.sh and keyless.yaml go (default ${join(tmpdir(), 'keyless-fakes')})
  --list-faults      print every FAULT with the failure it plays, and exit
  -h, --help         print this help`;

/** A running `keyless fakes`. */
export interface RunningFakes {
  readonly stack: FakeStack;
  /** The file to `source`. */
  readonly envFile: string;
  readonly configFile: string;
  /** Stops the fakes and removes the files. */
  stop(): Promise<void>;
}

/** Thrown for bad arguments; the message says what to change. */
export class FakesUsageError extends Error {}

/**
 * Starts the fakes as `keyless fakes` does and writes the announcement to
 * `out`; returns once they listen. undefined when only help or the fault list
 * was asked for.
 */
export async function startFakesCli(
  argv: readonly string[],
  out: (text: string) => void,
): Promise<RunningFakes | undefined> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        fail: { type: 'string', multiple: true },
        claim: { type: 'string', multiple: true },
        lifetime: { type: 'string' },
        port: { type: 'string' },
        out: { type: 'string' },
        'list-faults': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new FakesUsageError(`${(error as Error).message}\n\n${FAKES_USAGE}`);
  }
  if (values.help) {
    out(`${FAKES_USAGE}\n`);
    return undefined;
  }
  if (values['list-faults']) {
    const width = Math.max(...Object.keys(FAKE_FAULTS).map((name) => name.length));
    for (const [name, text] of Object.entries(FAKE_FAULTS)) out(`${name.padEnd(width)}  ${text}\n`);
    return undefined;
  }
  const faults = (values.fail ?? []).map((name): FakeFault => {
    if (!isFakeFault(name))
      throw new FakesUsageError(
        `unknown fault ${name}; known: ${Object.keys(FAKE_FAULTS).join(', ')}`,
      );
    return name;
  });
  const claims = Object.fromEntries(
    (values.claim ?? []).map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new FakesUsageError(`--claim ${pair}: expected KEY=VALUE`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
  const basePort = integer(
    '--port',
    values.port,
    DEFAULT_STACK_BASE_PORT,
    1,
    65_535 - STACK_ROUTES.length,
  );
  const lifetime =
    values.lifetime === undefined
      ? undefined
      : integer('--lifetime', values.lifetime, 0, 1, 86_400);
  const dir = values.out ?? join(tmpdir(), 'keyless-fakes');

  const stack = await startFakeStack({
    faults,
    ...(Object.keys(claims).length > 0 ? { claims } : {}),
    ...(lifetime === undefined ? {} : { credentialLifetimeSeconds: lifetime }),
  });
  const envFile = join(dir, 'env.sh');
  const configFile = join(dir, 'keyless.yaml');
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(configFile, stack.configYaml({}, basePort));
    const env = { ...stack.env(), KEYLESS_CONFIG: configFile };
    const exports = Object.entries(env).map(
      ([name, value]) => `export ${name}=${shellQuote(value)}`,
    );
    await writeFile(envFile, `# keyless fakes: source this file\n${exports.join('\n')}\n`);
    out(announcement(stack, exports, envFile, basePort));
  } catch (error) {
    await stack.close();
    throw error;
  }
  return {
    stack,
    envFile,
    configFile,
    async stop() {
      await stack.close();
      await Promise.all([rm(envFile, { force: true }), rm(configFile, { force: true })]);
    },
  };
}

/**
 * `keyless fakes`: starts the fakes and keeps them running until SIGINT or
 * SIGTERM, then stops them cleanly. Resolves with the exit code.
 */
export async function runFakesCli(argv: readonly string[]): Promise<number> {
  const write = (text: string) => void process.stdout.write(text);
  let running: RunningFakes | undefined;
  try {
    running = await startFakesCli(argv, write);
  } catch (error) {
    process.stderr.write(`keyless fakes: ${(error as Error).message}\n`);
    return 2;
  }
  if (!running) return 0;
  const fakes = running;
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  write(`\n${signal}: stopping the fakes\n`);
  await fakes.stop();
  return 0;
}

function announcement(
  stack: FakeStack,
  exports: string[],
  envFile: string,
  basePort: number,
): string {
  const urls = Object.entries(stack.urls());
  const width = Math.max(...urls.map(([name]) => name.length));
  const lines = [`keyless fakes: ${urls.length} fake servers on 127.0.0.1`];
  for (const [name, url] of urls) lines.push(`  ${name.padEnd(width)}  ${url}`);
  if (stack.faults.length > 0) {
    lines.push('', 'failing on purpose:');
    for (const fault of stack.faults) lines.push(`  ${fault}: ${FAKE_FAULTS[fault]}`);
  }
  lines.push(
    '',
    `environment (also in ${envFile}):`,
    ...exports,
    '',
    'in another shell:',
    `  source ${envFile}`,
    `  npm start        # the gateway: ${STACK_ROUTES.map((r, i) => `${r} :${basePort + i}`).join(', ')}`,
    '  npm run doctor   # check every route against the fakes',
    '',
    'Ctrl-C stops the fakes.',
  );
  return `${lines.join('\n')}\n`;
}

function integer(
  flag: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new FakesUsageError(`${flag} must be an integer from ${min} to ${max}`);
  return value;
}

/** `'value'` with embedded single quotes closed, escaped and reopened (POSIX sh). */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
