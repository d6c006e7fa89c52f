import { spawn, type ChildProcess } from 'node:child_process';

/** Output kept from a child for error messages, bytes. */
const OUTPUT_TAIL = 16_384;

/** A Node process started by the bench. */
export interface NodeChild<Ready> {
  /** What the readiness line said. */
  readonly ready: Ready;
  readonly pid: number;
  /** The last lines the process wrote (bounded), for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface NodeChildOptions<Ready> {
  readonly entry: string;
  readonly args?: readonly string[];
  /** Node flags before the entry, e.g. `--cpu-prof`. */
  readonly nodeFlags?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Parses one JSON output line; a value other than undefined means ready. */
  readonly readyWhen: (line: Record<string, unknown>) => Ready | undefined;
  /** ms; default 30000. */
  readonly timeoutMs?: number;
}

/**
 * Starts `node [flags] entry args` and resolves when one of its stdout/stderr JSON
 * lines satisfies `readyWhen`. Afterwards the output is drained and only a bounded
 * tail is kept: the gateway logs a line per request and must never block on a full pipe.
 */
export async function startNodeChild<Ready>(
  options: NodeChildOptions<Ready>,
): Promise<NodeChild<Ready>> {
  const child: ChildProcess = spawn(
    process.execPath,
    [...(options.nodeFlags ?? []), options.entry, ...(options.args ?? [])],
    { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let tail = '';
  let pending = '';
  let ready: Ready | undefined;
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const readyPromise = new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${options.entry} did not get ready in time:\n${tail}`)),
      options.timeoutMs ?? 30_000,
    );
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-OUTPUT_TAIL);
      if (ready !== undefined) return;
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const parsed = parseJsonLine(line);
        const value = parsed && options.readyWhen(parsed);
        if (value !== undefined && value !== null && value !== false) {
          ready = value as Ready;
          pending = '';
          clearTimeout(timer);
          resolve(ready);
          return;
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // The child's own event, not a promise chained on `exited`: nothing here can go unhandled.
    child.once('close', () => {
      clearTimeout(timer);
      reject(
        new Error(`${options.entry} exited with ${child.exitCode} before it was ready:\n${tail}`),
      );
    });
  });
  try {
    await readyPromise;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    ready: ready as Ready,
    pid: child.pid ?? -1,
    output: () => tail,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

function parseJsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
