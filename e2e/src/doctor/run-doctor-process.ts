import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FakeStack } from '@keyless/fakes';

const MAIN = fileURLToPath(new URL('../../../apps/gateway/src/main.ts', import.meta.url));

/** What a `keyless doctor` process printed and how it exited. */
export interface DoctorRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real `keyless doctor` with the stack's environment and its routes
 * as KEYLESS_CONFIG (nothing else of this process's environment leaks in).
 */
export async function runDoctorProcess(
  stack: FakeStack,
  args: readonly string[] = [],
): Promise<DoctorRun> {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-doctor-'));
  const config = join(dir, 'keyless.yaml');
  writeFileSync(config, stack.configYaml());
  try {
    return await new Promise<DoctorRun>((resolve) => {
      execFile(
        process.execPath,
        [MAIN, 'doctor', ...args],
        {
          env: {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? '/tmp',
            ...stack.env(),
            KEYLESS_CONFIG: config,
          },
          timeout: 60_000,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
