import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Entry points: the shipped CLI, or the CLI with the test-only plugin registered. */
const ENTRIES = {
  gateway: fileURLToPath(new URL('../../../apps/gateway/src/main.ts', import.meta.url)),
  'with-test-plugin': fileURLToPath(new URL('./gateway-with-test-plugin.ts', import.meta.url)),
} as const;
const ROUTE_PORT_VARIABLES = {
  openai: 'KEYLESS_OPENAI_PORT',
  anthropic: 'KEYLESS_ANTHROPIC_PORT',
  copilot: 'KEYLESS_COPILOT_PORT',
  gemini: 'KEYLESS_GEMINI_PORT',
  vertex: 'KEYLESS_VERTEX_PORT',
  bedrock: 'KEYLESS_BEDROCK_PORT',
} as const;

/**
 * Port 0 for every route listener and the management listener, as `KEYLESS_*_PORT`
 * variables: each binds a free port itself (no pick-then-bind race between parallel
 * tests), and the `gateway.listening` line names the URLs.
 */
export const ANY_PORTS_ENV: Readonly<Record<string, string>> = Object.fromEntries(
  [...Object.values(ROUTE_PORT_VARIABLES), 'KEYLESS_MANAGEMENT_PORT'].map((variable) => [
    variable,
    '0',
  ]),
);

/** A gateway started as a real process (`keyless serve`). */
export interface GatewayProcess {
  /** Base URL of a route listener, e.g. `http://127.0.0.1:40123`. */
  url(route: string): string;
  readonly managementUrl: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Parsed JSON log lines so far. */
  logs(): Array<Record<string, unknown>>;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  readonly child: ChildProcess;
}

export interface GatewayStartOptions {
  readonly args?: readonly string[];
  /** Which entry point to run; default the shipped gateway. */
  readonly entry?: keyof typeof ENTRIES;
  /** ms to wait for `gateway.listening`; default 20000. */
  readonly timeoutMs?: number;
  /** Stops the gateway (SIGTERM) when aborted, also while it is starting. */
  readonly signal?: AbortSignal;
}

/**
 * The environment a gateway child gets: only what the test passes, plus PATH
 * and HOME, so that the developer's proxy or key variables never leak in.
 * Every route and the management port get a free port (port 0) unless given.
 */
function childEnv(env: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    ...ANY_PORTS_ENV,
    ...env,
  };
}

function spawnGateway(
  env: Record<string, string>,
  args: readonly string[],
  entry: keyof typeof ENTRIES = 'gateway',
  signal?: AbortSignal,
): ChildProcess {
  const child = spawn(process.execPath, [ENTRIES[entry], ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(signal ? { signal } : {}),
  });
  // An abort through `signal` is reported here; the exit that follows ends every wait.
  child.on('error', () => {});
  return child;
}

/** Starts the gateway and waits until it logs that it is listening. */
export async function startGatewayProcess(
  env: Record<string, string>,
  options: GatewayStartOptions = {},
): Promise<GatewayProcess> {
  const child = spawnGateway(
    childEnv(env),
    options.args ?? ['serve'],
    options.entry,
    options.signal,
  );
  let output = '';
  // 'close', not 'exit': stdout and stderr are fully read by then, so canary scans see every line.
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => resolve(code)),
  );
  const listening = new Promise<{ urls: Record<string, string>; managementUrl: string }>(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        // Nobody gets a handle to a gateway that never listened: it must not outlive the caller.
        child.kill('SIGKILL');
        reject(new Error(`gateway did not start in time; output:\n${output}`));
      }, options.timeoutMs ?? 20_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        for (const line of parseLines(output)) {
          if (line.event === 'gateway.listening') {
            clearTimeout(timer);
            resolve(line as never);
          }
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      // The child's own event, not a promise chained on `exited`: nothing here can go unhandled.
      child.once('close', (code) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited with ${code} before listening; output:\n${output}`));
      });
    },
  );
  const { urls, managementUrl } = await listening;
  return {
    url(route) {
      const url = urls[route];
      if (!url)
        throw new Error(`route ${route} is not listening; routes: ${Object.keys(urls).join(', ')}`);
      return url;
    },
    managementUrl,
    output: () => output,
    logs: () => parseLines(output),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    child,
  };
}

/** Runs the gateway expecting it to exit by itself (e.g. a configuration error). */
export async function runGatewayToExit(
  env: Record<string, string>,
  options: GatewayStartOptions = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnGateway(childEnv(env), options.args ?? ['serve'], options.entry);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

function parseLines(text: string): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a partial line still being written
    }
  }
  return lines;
}
