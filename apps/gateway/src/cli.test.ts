import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** Runs the real `keyless` entry point with `args`; stdout and the exit code. */
async function keyless(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [MAIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
      timeout: 30_000,
    });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '' };
  }
}

describe('keyless <command> --help', () => {
  it('doctor: every option and the exit codes', async () => {
    const { code, stdout } = await keyless('doctor', '--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: keyless doctor /);
    for (const option of ['--config PATH', '--probe', '--json']) expect(stdout).toContain(option);
    expect(stdout).toContain('exit codes:');
    expect(stdout).toMatch(/^ {2}0 {2}every configured route passed$/m);
    expect(stdout).toMatch(/^ {2}1 {2}at least one route failed a check$/m);
    expect(stdout).toMatch(/^ {2}2 {2}the configuration is invalid/m);
  });

  it("fakes: the fakes package's whole usage, --lifetime and every flag described", async () => {
    const { code, stdout } = await keyless('fakes', '-h');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: keyless fakes /);
    for (const flag of [
      '--fail FAULT ',
      '--claim KEY=VALUE ',
      '--lifetime S ',
      '--port BASE ',
      '--out DIR ',
      '--list-faults ',
    ])
      expect(stdout).toMatch(new RegExp(`^ {2}${flag}`, 'm'));
    // Help starts nothing: no fake announced.
    expect(stdout).not.toContain('fake servers on 127.0.0.1');
  });

  it('serve: its usage and summary', async () => {
    const { code, stdout } = await keyless('serve', '--help');
    expect(code).toBe(0);
    expect(stdout).toBe(
      'usage: keyless serve [--config path.yaml|workflow.md]\nrun the gateway (environment variables and/or a config file)\n',
    );
  });
});
