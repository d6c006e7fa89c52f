import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyWorkspace, type WorkspaceCopy } from '../testing/workspace-copy.ts';

const run = promisify(execFile);
const WORKSPACE = resolve(import.meta.dirname, '../../../..');
const LIBRARY = 'libs/providers-acme-id';

let copy: WorkspaceCopy;
let env: NodeJS.ProcessEnv;

/** Runs `command` in the copy; a failure shows its output. */
async function inCopy(command: string, args: string[], cwd = '.'): Promise<string> {
  try {
    const { stdout, stderr } = await run(command, args, {
      cwd: join(copy.root, cwd),
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    return `${stdout}${stderr}`;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}${stderr}`, {
      cause: error,
    });
  }
}

// The generator as an author runs it, in a throwaway copy of this workspace (never in the workspace itself).
describe('nx g @keyless/nx-plugin:provider, in a copy of the workspace', () => {
  beforeAll(async () => {
    copy = copyWorkspace(WORKSPACE);
    // The copy's own tools first; nothing of the vitest running this test leaks into the nested runs.
    env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([key]) => !key.startsWith('VITEST') && key !== 'NODE_OPTIONS',
      ),
    );
    env.PATH = `${join(copy.root, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`;
    Object.assign(env, {
      NO_COLOR: '1',
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
      NX_SKIP_NX_CACHE: 'true',
      CI: 'true',
    });
    await inCopy('nx', ['g', '@keyless/nx-plugin:provider', 'acme-id', '--no-interactive']);
  });
  afterAll(() => copy?.remove());

  it('writes a library that typechecks, lints, is formatted and passes its own tests, conformance included', async () => {
    await inCopy('tsc', ['-p', 'tsconfig.json', '--noEmit'], LIBRARY);
    await inCopy('eslint', ['src'], LIBRARY);
    await inCopy('prettier', [
      '--check',
      LIBRARY,
      'apps/gateway/src/plugins.ts',
      'apps/gateway/package.json',
    ]);
    const output = await inCopy('vitest', ['run', '--reporter=verbose'], LIBRARY);
    expect(output).toContain('plugin conformance: acme-id');
    expect(output).toMatch(/Test Files\s+4 passed/);
  });

  it('registers the plugin in a gateway that still typechecks and lints, with the README reference regenerated', async () => {
    const plugins = readFileSync(join(copy.root, 'apps/gateway/src/plugins.ts'), 'utf8');
    expect(plugins).toContain("import { acmeIdPlugin } from '@keyless/providers-acme-id/plugin';");
    expect(readFileSync(join(copy.root, 'README.md'), 'utf8')).toContain(
      '`AWF_AUTH_ACME_ID_TOKEN_URL`',
    );
    await Promise.all([
      inCopy('tsc', ['-p', 'tsconfig.json', '--noEmit'], 'apps/gateway'),
      inCopy('eslint', ['src/plugins.ts'], 'apps/gateway'),
      // The gateway's own checks that read every plugin: the README reference and the AWF_* table.
      inCopy(
        'vitest',
        ['run', 'src/config/reference.test.ts', 'src/config/awf-variables.test.ts'],
        'apps/gateway',
      ),
    ]);
  });

  it('leaves a lockfile npm ci accepts and npm install would not change', async () => {
    const lockfile = join(copy.root, 'package-lock.json');
    const written = readFileSync(lockfile, 'utf8');
    expect(JSON.parse(written).packages[LIBRARY]).toMatchObject({
      name: '@keyless/providers-acme-id',
    });
    await inCopy('npm', ['ci', '--offline', '--dry-run', '--ignore-scripts']);
    await inCopy('npm', ['install', '--offline', '--package-lock-only', '--ignore-scripts']);
    expect(readFileSync(lockfile, 'utf8')).toBe(written);
  });
});
