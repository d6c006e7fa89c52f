import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'keyless-fakes-process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('keyless fakes (the real process)', () => {
  it('writes the env file, and on Ctrl-C stops every fake, removes its files and exits 0', async () => {
    const child = spawn(process.execPath, [MAIN, 'fakes', '--out', dir], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const closed = new Promise<number | null>((resolve) =>
      child.once('close', (code) => resolve(code)),
    );
    const announced = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('Ctrl-C stops the fakes.')) resolve();
      });
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      void closed.then(() => reject(new Error(`keyless fakes exited early:\n${output}`)));
    });
    await announced;

    const envFile = join(dir, 'env.sh');
    const configFile = join(dir, 'keyless.yaml');
    const env = readFileSync(envFile, 'utf8');
    expect(readFileSync(configFile, 'utf8')).toContain('routes:');
    const tokenUrl = /^export ACTIONS_ID_TOKEN_REQUEST_URL='(http:\/\/127\.0\.0\.1:\d+)\//m.exec(
      env,
    )?.[1];
    expect(tokenUrl).toBeDefined();
    const caFile = /^export NODE_EXTRA_CA_CERTS='([^']+)'$/m.exec(env)?.[1];
    expect(caFile && existsSync(caFile)).toBe(true);
    expect((await fetch(`${tokenUrl}/.well-known/openid-configuration`)).status).toBe(200);

    child.kill('SIGINT');
    expect(await closed).toBe(0);
    expect(output).toContain('SIGINT: stopping the fakes');
    expect(existsSync(envFile)).toBe(false);
    expect(existsSync(configFile)).toBe(false);
    expect(existsSync(caFile!)).toBe(false);
    expect(alive(child.pid!)).toBe(false);
    // Nothing of it still listens.
    await expect(fetch(`${tokenUrl}/.well-known/openid-configuration`)).rejects.toThrow();
  });
});
