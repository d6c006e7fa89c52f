import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ANY_PORTS_ENV } from '../harness/gateway-process.ts';
import { REPO_ROOT } from './dockerfile.ts';

/** Starts `keyless serve` as a direct child and resolves once it listens. */
async function startServe() {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    OPENAI_API_KEY: 'sk-sigterm-0123456789',
    KEYLESS_SHUTDOWN_GRACE_MS: '2000',
  };
  Object.assign(env, ANY_PORTS_ENV);
  const child = spawn(process.execPath, ['apps/gateway/src/main.ts', 'serve'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not start:\n${output}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('"event":"gateway.listening"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  });
  return { child, exited };
}

describe('keyless serve stops on its own signal handlers (it may be PID 1)', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('exits 0 on %s', async (signal) => {
    const { child, exited } = await startServe();
    child.kill(signal);
    expect(await exited).toEqual({ code: 0, signal: null });
  });

  it('still exits on SIGTERM when whoever read its stdout is gone (EPIPE)', async () => {
    const { child, exited } = await startServe();
    // The reader of our output dies first (npm killed, a log pipe closed): every write now fails.
    child.stdout.destroy();
    child.stderr.destroy();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
    const result = await exited;
    clearTimeout(timer);
    expect(result).toEqual({ code: 0, signal: null });
  });
});
